# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One benchmark run across the fleet, summed up: which hosts finished, which failed and why,
each host's headline numbers, and in fleet mode the fleet total next to the per-host results
it should be compared with."""
from __future__ import annotations

import os
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.atomic_file import write_json_atomically
from ansible_collections.fleetbench.llm.plugins.module_utils.fleet_window import fleet_window
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import ResultRecord, fleet_total

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
    """`records` as the module returned them; they are read as ResultRecords and written back unchanged."""
    typed = _typed(records)
    failures_by_host = _host_failure_lines(hosts, run_failures, host_failures, finished_hosts)
    summary = {
        "run_id": run_id,
        "fleet_mode": fleet_mode,
        "hosts": {host: _host_state(host, typed, failures_by_host, host_failures) for host in hosts},
        "failed_hosts": [host for host in hosts if failures_by_host.get(host)],
        "failure_lines": {host: lines for host, lines in failures_by_host.items() if lines},
        "run_failures": run_failures,
        "host_failures": host_failures,
        "headlines": {host: [_headline(r) for r in typed if r.host == host] for host in hosts},
        "records": records,
    }
    if fleet_mode == "fleet":
        summary["fleet_totals"] = _fleet_totals(typed, hosts)
    return summary


def fleet_totals(records: list[dict], hosts: list[str]) -> list[dict]:
    """Per scenario x mode x repeat: the sum over hosts whose run is final, the per-host values
    it sums, and the hosts that are missing from it (a partial sum is labelled, never hidden)."""
    return _fleet_totals(_typed(records), hosts)


def _typed(records: list[dict]) -> list[ResultRecord]:
    # Not validated: a record the module wrote is valid, and one that is not must not cost the summary.
    return [ResultRecord.from_dict(record, validate=False) for record in records]


def _fleet_totals(records: list[ResultRecord], hosts: list[str]) -> list[dict]:
    groups: dict[tuple, list[ResultRecord]] = {}
    for record in records:
        if record.mode != "performance":
            continue
        groups.setdefault((record.label, record.repeat), []).append(record)
    totals = []
    for (scenario, repeat), members in sorted(groups.items(), key=lambda item: (str(item[0][0]), item[0][1] or 0)):
        final = {r.host: t.cast(dict, r.headline) for r in members if r.is_final and r.headline is not None}
        per_host = {host: float(headline["value"]) for host, headline in final.items()}
        units = sorted({h["unit"] for h in final.values()})
        total = fleet_total(final.values())
        totals.append({
            "scenario": scenario,
            "repeat": repeat,
            "metric": next(iter(final.values()))["name"] if final else None,
            "unit": units[0] if len(units) == 1 else None,
            "total": None if total is None else round(total, 6),
            "per_host": per_host,
            "mean_per_host": round(sum(per_host.values()) / len(per_host), 6) if per_host else None,
            "hosts_counted": sorted(per_host),
            "hosts_missing": sorted(set(hosts) - set(per_host)),
            "measured_together": _measured_together(r for r in members if r.host in final),
        })
    return totals


def _measured_together(records: t.Iterable[ResultRecord]) -> dict[str, t.Any]:
    """How long the counted hosts measured at once; the total is fleet-wide only when `fleet_wide`."""
    window = fleet_window([{"host": r.host, "run_info": r.run_info} for r in records])
    return {key: window[key] for key in ("fleet_wide", "overlap_s", "overlap_pct", "verdict")}


def write_summary(folder: str, summary: dict) -> str:
    path = os.path.join(folder, RESULTS_FILE)
    write_json_atomically(path, summary)
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


def _host_state(host, records: list[ResultRecord], failures_by_host, host_failures) -> dict:
    mine = [r for r in records if r.host == host]
    stage = next((f.get("stage") for f in host_failures if f.get("host") == host), None)
    return {
        "status": "failed" if failures_by_host.get(host) else "ok",
        "failed_stage": stage,
        "runs_recorded": len(mine),
        "runs_final": sum(1 for r in mine if r.is_final),
        "failures": failures_by_host.get(host, []),
    }


def _headline(record: ResultRecord) -> dict:
    return {
        "scenario": record.label,
        "mode": record.mode,
        "repeat": record.repeat,
        "status": record.status,
        "valid": record.valid,
        "headline": record.headline,
        "log_dir": record.source.get("dir"),
    }
