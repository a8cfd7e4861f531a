# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One benchmark run across the fleet, summed up: which hosts finished, which failed and why,
each host's headline numbers, and in fleet mode the fleet total next to the per-host results
it should be compared with."""
from __future__ import annotations

import json
import os
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.atomic_file import write_atomically
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import ResultRecord

RESULTS_FILE = "benchmark.json"


def summarize(
    run_id: str,
    fleet_mode: str,
    hosts: list[str],
    records: list[dict],
    run_failures: list[dict],
    host_failures: list[dict],
    finished_hosts: list[str],
) -> dict[str, t.Any]:
    failures_by_host = _host_failure_lines(hosts, run_failures, host_failures, finished_hosts)
    summary = {
        "run_id": run_id,
        "fleet_mode": fleet_mode,
        "hosts": {host: _host_state(host, records, failures_by_host, host_failures) for host in hosts},
        "failed_hosts": [host for host in hosts if failures_by_host.get(host)],
        "failure_lines": {host: lines for host, lines in failures_by_host.items() if lines},
        "run_failures": run_failures,
        "host_failures": host_failures,
        "headlines": {host: [_headline(r) for r in records if r.get("host") == host] for host in hosts},
        "records": records,
    }
    if fleet_mode == "fleet":
        summary["fleet_totals"] = fleet_totals(records, hosts)
    return summary


def fleet_totals(records: list[dict], hosts: list[str]) -> list[dict]:
    """Per scenario x mode x repeat: the sum over hosts whose run is final, the per-host values
    it sums, and the hosts that are missing from it (a partial sum is labelled, never hidden)."""
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        if record.get("mode") != "performance":
            continue
        key = (record.get("scenario_label") or record.get("scenario"), record.get("repeat"))
        groups.setdefault(key, []).append(record)
    totals = []
    for (scenario, repeat), members in sorted(groups.items(), key=lambda item: (str(item[0][0]), item[0][1] or 0)):
        final = [r for r in members if _is_final(r) and _headline_value(r) is not None]
        per_host = {r["host"]: _headline_value(r) for r in final}
        units = sorted({(r.get("headline") or {}).get("unit") for r in final} - {None})
        totals.append({
            "scenario": scenario,
            "repeat": repeat,
            "metric": (final[0].get("headline") or {}).get("name") if final else None,
            "unit": units[0] if len(units) == 1 else None,
            "total": round(sum(per_host.values()), 6) if per_host and _summable(final) else None,
            "per_host": per_host,
            "mean_per_host": round(sum(per_host.values()) / len(per_host), 6) if per_host else None,
            "hosts_counted": sorted(per_host),
            "hosts_missing": sorted(set(hosts) - set(per_host)),
        })
    return totals


def write_summary(results_dir: str, run_id: str, summary: dict) -> str:
    path = os.path.join(results_dir, run_id, RESULTS_FILE)
    write_atomically(path, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return path


def _host_failure_lines(hosts, run_failures, host_failures, finished_hosts) -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {host: [] for host in hosts}
    for failure in host_failures:
        lines.setdefault(failure["host"], []).append(
            f"{failure['host']}: {failure.get('stage', '?')} failed: {failure.get('cause', 'unknown failure')}"
        )
    for failure in run_failures:
        lines.setdefault(failure["host"], []).append(
            f"{failure['host']} {failure['scenario']}/{failure['mode']} #{failure['repeat']}: "
            f"{failure.get('cause', 'unknown failure')} (logs: {failure.get('log_dir')})"
        )
    for host in hosts:
        if not lines[host] and host not in finished_hosts:
            lines[host].append(f"{host}: did not reach the end of the benchmark (see the play recap)")
    return lines


def _host_state(host, records, failures_by_host, host_failures) -> dict:
    mine = [r for r in records if r.get("host") == host]
    stage = next((f.get("stage") for f in host_failures if f.get("host") == host), None)
    return {
        "status": "failed" if failures_by_host.get(host) else "ok",
        "failed_stage": stage,
        "runs_recorded": len(mine),
        "runs_final": sum(1 for r in mine if _is_final(r)),
        "failures": failures_by_host.get(host, []),
    }


def _headline(record: dict) -> dict:
    return {
        "scenario": record.get("scenario_label") or record.get("scenario"),
        "mode": record.get("mode"),
        "repeat": record.get("repeat"),
        "status": record.get("status"),
        "valid": record.get("valid"),
        "headline": record.get("headline"),
        "log_dir": (record.get("source") or {}).get("dir"),
    }


def _is_final(record: dict) -> bool:
    return ResultRecord.from_dict(record, validate=False).is_final


def _headline_value(record: dict) -> float | None:
    value = (record.get("headline") or {}).get("value")
    return float(value) if isinstance(value, (int, float)) else None


def _summable(records: list[dict]) -> bool:
    # Throughputs add up across hosts; latencies do not.
    return all("per_second" in str((r.get("headline") or {}).get("name", "")) for r in records)
