# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as data: tables, deviations, explanations, scaling, verdict.

build_report() turns a results document (what the results callback writes to
results/<run_id>/results.json: records, per-host facts, drift table; see
docs/contract/report-inputs.md) into one JSON-serialisable dict. The Markdown, HTML and
JSON renderings all read this dict, so they cannot disagree.
"""
from __future__ import annotations

import datetime
import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.capacity import server_capacity
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.config import configuration_table
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.consistency import server_offline_checks
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.groups import group_report
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import Thresholds, is_tabulated
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.records import RunInput, by_scenario_and_metric, host_configs, read_run, scenario_label
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.rows import accuracy_row, accuracy_runs, performance_row, withheld
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.scaling import scaling
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import NoiseSettings

REPORT_SCHEMA_VERSION = 1


def build_report(
    results: t.Mapping[str, t.Any] | RunInput,
    noise_settings: NoiseSettings | None = None,
    thresholds: Thresholds | None = None,
    generated_at: str | None = None,
    reference_groups: list[dict[str, t.Any]] | None = None,
) -> dict[str, t.Any]:
    """The whole report as a dict (without A/B; compare.compare_runs adds that).

    `reference_groups` (the groups of another report, e.g. the baseline's) supply single-host
    results for fleet runs whose hosts have none in this run.
    """
    run = read_run(results)
    results, records, hosts_facts = run.document, run.records, run.hosts_facts
    limits = thresholds or Thresholds()
    settings = noise_settings or NoiseSettings()
    tabulated = [r for r in records if is_tabulated(r)]
    per_host = [r for r in tabulated if r.get("fleet_mode", "per_host") != "fleet"]
    groups = [
        group_report(label, metric, recs, hosts_facts, settings, limits)
        for (label, metric), recs in by_scenario_and_metric(per_host).items()
    ]
    accuracy_by_run = accuracy_runs(tabulated)
    rows = [performance_row(r, limits, accuracy_by_run) for r in tabulated if r.get("mode") == "performance"]
    report = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "run": run_metadata(results, records, generated_at, rows),
        "drift": results.get("drift"),
        "configuration": configuration_table(host_configs(records, hosts_facts)),
        "rows": rows,
        "consistency": server_offline_checks(tabulated, settings.default_pct),
        "server_capacity": server_capacity(tabulated, groups),
        "accuracy": [accuracy_row(r) for r in tabulated if r.get("mode") == "accuracy"],
        "withheld": [withheld(r) for r in records if not is_tabulated(r)],
        "groups": groups,
        "scaling": scaling(tabulated, groups + (reference_groups or []), settings, limits),
        "limits": {"min_duration_s": limits.min_duration_s, "min_samples": limits.min_samples,
                   "default_noise_pct": settings.default_pct, "confidence": settings.confidence,
                   "uniform_within_pct": settings.uniform_within_pct},
    }
    report["errors"] = _errors(report, results)
    report["verdict"] = {"passed": not report["errors"], "errors": len(report["errors"]), "regressions": []}
    return report


def run_metadata(results: t.Mapping[str, t.Any], records: list[dict[str, t.Any]], generated_at: str | None,
                 rows: list[dict[str, t.Any]] | None = None) -> dict[str, t.Any]:
    profiles = sorted({str((r.get("run_info") or {}).get("profile")) for r in records if r.get("run_info")})
    return {
        "run_id": results.get("run_id") or _single({r.get("run_id") for r in records}),
        "generated_at": generated_at or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "started_at": results.get("started_at"),
        "finished_at": results.get("finished_at"),
        "playbook": results.get("playbook"),
        "hosts": sorted({r["host"] for r in records} | set(results.get("hosts") or {})),
        "benchmarks": sorted({r.get("benchmark") for r in records if r.get("benchmark")}),
        "scenarios": sorted({scenario_label(r) for r in records}),
        "modes": sorted({r.get("mode") for r in records if r.get("mode")}),
        "profiles": profiles,
        "compliance": _compliance_text(rows or []),
        "loadgen_versions": sorted({(r.get("loadgen") or {}).get("version") for r in records if (r.get("loadgen") or {}).get("version")}),
        "settings": _settings_by_scenario(records),
    }


def _single(values: set[t.Any]) -> t.Any:
    values.discard(None)
    return values.pop() if len(values) == 1 else None


def _compliance_text(rows: list[dict[str, t.Any]]) -> str:
    """The run's compliance in one line: MLPerf-compliant only when every run passed every rung,
    else each first rung missed, so a reader knows how far the numbers go."""
    if not rows:
        return "unknown (no finished performance run)"
    missed = list(dict.fromkeys(row["compliance"]["text"] for row in rows if not row["compliance"]["mlperf_compliant"]))
    if not missed:
        return "MLPerf-compliant: every run passed every rung (settings, engine, dataset, model, accuracy)"
    return "NOT compliant: " + "; ".join(text.removeprefix("not compliant: ") for text in missed)


_SETTING_KEYS = ("target_qps", "min_duration_ms", "min_query_count", "ttft_latency_ns", "tpot_latency_ns",
                 "target_latency_ns", "samples_per_query", "performance_sample_count")


def _settings_by_scenario(records: list[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    out: dict[str, dict[str, t.Any]] = {}
    for record in records:
        if not is_tabulated(record) or record.get("mode") != "performance":
            continue
        settings = record.get("settings") or {}
        seen = out.setdefault(scenario_label(record), {})
        for key in _SETTING_KEYS:
            if settings.get(key) is None:
                continue
            previous = seen.get(key)
            if previous is None:
                seen[key] = settings[key]
            elif previous != settings[key] and "differs across hosts" not in str(previous):
                seen[key] = f"{previous} (differs across hosts)"
    return out


def _errors(report: t.Mapping[str, t.Any], results: t.Mapping[str, t.Any]) -> list[str]:
    """One line per thing that went wrong, each naming host and scenario."""
    errors = []
    for row in report["rows"]:
        if row["result"] != "VALID":
            why = "; ".join(row["reasons"]) or "LoadGen gave no reason"
            errors.append(f"{row['host']} {row['scenario']} repeat {row['repeat']}: {row['result']}: {why}")
    for row in report["accuracy"]:
        errors.extend(f"{row['host']} {row['scenario']} accuracy: {e}" for e in row["errors"])
        if row["passed"] is False:
            errors.append(f"{row['host']} {row['scenario']} accuracy: below the 99% targets")
    for item in report["withheld"]:
        if item["status"] != "running":
            errors.append(f"{item['host']} {item['scenario']} {item['mode']}: {item['reason']}")
    for failure in results.get("failures") or []:
        errors.append(f"{failure.get('host')}: {failure.get('message')}")
    return errors
