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
import statistics
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.mlperf_compliance import (
    accuracy_rung,
    compliant,
    effective_rungs,
    ladder_text,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.config import (
    configuration_table,
    differences,
    fleet_reference,
    host_configuration,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.capacity import server_capacity
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.consistency import server_offline_checks
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import (
    Thresholds,
    invalid_reasons,
    is_measurement,
    is_tabulated,
    record_errors,
    representativeness,
    validity_label,
    withheld_reason,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.causes import (
    HostTelemetry,
    held_back_others,
    measured_causes,
    telemetry_by_host,
    telemetry_digest,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_stats import (
    HostVerdict,
    compare_hosts,
    host_noise,
    log_values,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_summaries import (
    detectable_summary,
    noise_summary,
    outlier_summary,
    run_order,
    uniformity_summary,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import (
    NoiseSettings,
    Sample,
    combined_uncertainty,
    pooled_noise,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.fleet_window import fleet_window, window_rate
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import (
    ResultRecord,
    fleet_total,
    is_throughput,
    record_dict_errors,
)

REPORT_SCHEMA_VERSION = 1
MAX_DIFFERENCES_IN_SENTENCE = 4


class ReportInputError(ValueError):
    """The results document cannot be read; the message is one line naming the cause."""


def build_report(
    results: t.Mapping[str, t.Any],
    noise_settings: NoiseSettings | None = None,
    thresholds: Thresholds | None = None,
    generated_at: str | None = None,
    reference_groups: list[dict[str, t.Any]] | None = None,
) -> dict[str, t.Any]:
    """The whole report as a dict (without A/B; report_compare adds that).

    `reference_groups` (the groups of another report, e.g. the baseline's) supply single-host
    results for fleet runs whose hosts have none in this run.
    """
    records = normalised_records(results)
    limits = thresholds or Thresholds()
    settings = noise_settings or NoiseSettings()
    hosts_facts = results.get("hosts") or {}
    tabulated = [r for r in records if is_tabulated(r)]
    per_host = [r for r in tabulated if r.get("fleet_mode", "per_host") != "fleet"]
    groups = [
        _group_report(label, metric, recs, hosts_facts, settings, limits)
        for (label, metric), recs in _by_scenario_and_metric(per_host).items()
    ]
    accuracy_runs = _accuracy_runs(tabulated)
    rows = [_row(r, limits, accuracy_runs) for r in tabulated if r.get("mode") == "performance"]
    report = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "run": run_metadata(results, records, generated_at, rows),
        "drift": results.get("drift"),
        "configuration": configuration_table(_host_configs(records, hosts_facts)),
        "rows": rows,
        "consistency": server_offline_checks(tabulated, settings.default_pct),
        "server_capacity": server_capacity(tabulated, groups),
        "accuracy": [_accuracy_row(r) for r in tabulated if r.get("mode") == "accuracy"],
        "withheld": [_withheld(r) for r in records if not is_tabulated(r)],
        "groups": groups,
        "scaling": _scaling(tabulated, groups + (reference_groups or []), settings, limits),
        "limits": {"min_duration_s": limits.min_duration_s, "min_samples": limits.min_samples,
                   "default_noise_pct": settings.default_pct, "confidence": settings.confidence,
                   "uniform_within_pct": settings.uniform_within_pct},
    }
    report["errors"] = _errors(report, results)
    report["verdict"] = {"passed": not report["errors"], "errors": len(report["errors"]), "regressions": []}
    return report


def normalised_records(results: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """The document's records, each with a headline; a malformed one becomes an `unreadable`
    entry that names what is wrong, so one bad record cannot take the whole report down."""
    if not isinstance(results, t.Mapping):
        raise ReportInputError(f"results must be a mapping (results.json), got {type(results).__name__}")
    records = results.get("records")
    if not isinstance(records, list):
        raise ReportInputError("results has no 'records' list: is this a results.json written by fleetbench.llm.results?")
    return [_normalised(index, record) for index, record in enumerate(records)]


def _normalised(index: int, record: t.Any) -> dict[str, t.Any]:
    """The record with the keys it derives (headline, lost_samples, is_final) as ResultRecord
    computes them; a headline stored in the document is checked, never trusted."""
    problems = record_dict_errors(record) or _headline_problems(record.get("headline"))
    if not problems:
        typed = ResultRecord.from_dict(record, validate=False)
        record = {**record, "headline": typed.headline, "lost_samples": typed.lost_samples, "is_final": typed.is_final}
    if problems:
        source = record if isinstance(record, t.Mapping) else {}
        return {"host": source.get("host") or f"record {index}", "scenario": source.get("scenario"),
                "scenario_label": source.get("scenario_label"), "mode": source.get("mode"),
                "repeat": source.get("repeat"), "status": "unreadable", "source": source.get("source") or {},
                "problems": [{"message": "; ".join(problems)}]}
    record.setdefault("host", f"record {index}")
    return record


def _headline_problems(headline: t.Any) -> list[str]:
    if headline is None:
        return []
    if not isinstance(headline, t.Mapping) or not all(k in headline for k in ("name", "value", "unit")):
        return [f"'headline' must hold name, value and unit, got {headline!r:.80}"]
    value = headline["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [f"headline value must be a number, got {value!r:.40}"]
    return []


def scenario_label(record: t.Mapping[str, t.Any]) -> str:
    return record.get("scenario_label") or record.get("scenario") or "unknown"


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


def _run_key(record: t.Mapping[str, t.Any]) -> tuple[t.Any, t.Any, str]:
    return record.get("host"), record.get("run_id"), scenario_label(record)


def _accuracy_runs(records: list[dict[str, t.Any]]) -> dict[tuple[t.Any, t.Any, str], list[dict[str, t.Any]]]:
    """Accuracy runs by (host, run id, scenario), found once: a scan per performance run was quadratic in the fleet."""
    found: dict[tuple[t.Any, t.Any, str], list[dict[str, t.Any]]] = {}
    for record in records:
        if record.get("mode") == "accuracy":
            found.setdefault(_run_key(record), []).append(record)
    return found


def compliance_ladder(record: t.Mapping[str, t.Any],
                      accuracy_runs: t.Mapping[tuple[t.Any, t.Any, str], list[dict[str, t.Any]]]) -> dict[str, t.Any]:
    """All five rungs for a performance run: rungs 1-4 from its record, rung 5 from the accuracy
    runs of the same run id, host and scenario (`accuracy_runs`, from _accuracy_runs)."""
    rungs = effective_rungs(record)
    rungs.append(accuracy_rung(accuracy_runs.get(_run_key(record), [])))
    return {"rungs": rungs, "mlperf_compliant": compliant(rungs) is True, "text": ladder_text(rungs)}


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


def _percentiles(values: t.Mapping[str, t.Any] | None) -> dict[str, t.Any] | None:
    if not values:
        return None
    return {k: values.get(k) for k in ("p50", "p90", "p99")}


def _row(record: t.Mapping[str, t.Any], limits: Thresholds, accuracy_runs) -> dict[str, t.Any]:
    headline = record.get("headline") or {}
    return {
        "host": record["host"],
        "scenario": scenario_label(record),
        "repeat": record.get("repeat"),
        "fleet_mode": record.get("fleet_mode", "per_host"),
        "result": validity_label(record),
        "reasons": invalid_reasons(record) + record_errors(record),
        "metric": headline.get("name"),
        "metric_unit": headline.get("unit"),
        "metric_value": headline.get("value"),
        "tokens_per_second": record.get("tokens_per_second"),
        "samples_per_second": record.get("samples_per_second"),
        "ttft_ns": _percentiles(record.get("ttft_ns")),
        "tpot_ns": _percentiles(record.get("tpot_ns")),
        "latency_ns": record.get("latency_ns") or {},
        "samples_issued": record.get("samples_issued"),
        "samples_completed": record.get("samples_completed"),
        "lost_samples": record["lost_samples"],
        "duration_s": record.get("duration_s"),
        "compliant": record.get("compliant"),
        "compliance": compliance_ladder(record, accuracy_runs),
        "warnings": list(record.get("warnings") or []),
        "not_representative": representativeness(record, limits),
    }


def _accuracy_row(record: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    accuracy = record.get("accuracy") or {}
    return {
        "host": record["host"],
        "scenario": scenario_label(record),
        "repeat": record.get("repeat"),
        "scores": {k: accuracy.get(k) for k in ("rouge1", "rouge2", "rougeL", "rougeLsum", "gen_len", "gen_num", "accuracy") if accuracy.get(k) is not None},
        "passed": accuracy.get("passed"),
        "errors": record_errors(record),
    }


def _withheld(record: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {
        "host": record["host"],
        "scenario": scenario_label(record),
        "mode": record.get("mode"),
        "repeat": record.get("repeat"),
        "status": record.get("status"),
        "reason": withheld_reason(record),
        "source": (record.get("source") or {}).get("dir"),
    }


def _by_scenario_and_metric(records: list[dict[str, t.Any]]) -> dict[tuple[str, str], list[dict[str, t.Any]]]:
    groups: dict[tuple[str, str], list[dict[str, t.Any]]] = {}
    for record in records:
        if is_measurement(record):
            groups.setdefault((scenario_label(record), record["headline"]["name"]), []).append(record)
    return dict(sorted(groups.items()))


def _host_samples(records: list[dict[str, t.Any]]) -> dict[str, Sample]:
    samples: dict[str, Sample] = {}
    for record in records:
        samples.setdefault(record["host"], Sample([])).values.append(float(record["headline"]["value"]))
    return dict(sorted(samples.items()))


def _host_configs(records: list[dict[str, t.Any]], hosts_facts: t.Mapping[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    """Each host's configuration, from its facts and the run_info of its latest record."""
    run_infos: dict[str, t.Mapping[str, t.Any]] = {}
    for record in records:
        if record.get("run_info"):
            run_infos[record["host"]] = record["run_info"]
    hosts = sorted({r["host"] for r in records} | set(hosts_facts))
    configs = {}
    for host in hosts:
        facts = hosts_facts.get(host) or {}
        configs[host] = host_configuration(facts.get("gpu"), facts.get("fingerprint"), run_infos.get(host))
    return configs


def _group_report(
    label: str,
    metric: str,
    records: list[dict[str, t.Any]],
    hosts_facts: t.Mapping[str, t.Any],
    settings: NoiseSettings,
    limits: Thresholds,
) -> dict[str, t.Any]:
    unit = records[0]["headline"]["unit"]
    lower_is_better = unit == "ns"
    samples = _host_samples(records)
    logs = {host: log_values(sample.values) for host, sample in samples.items()}
    noise = host_noise(logs)
    verdicts = compare_hosts(logs, noise, settings)
    configs = _host_configs(records, hosts_facts)
    reasons: dict[str, set[str]] = {}
    for record in records:
        reasons.setdefault(record["host"], set()).update(representativeness(record, limits))
    hosts = []
    for host, sample in samples.items():
        verdict = verdicts[host]
        hosts.append({
            "host": host,
            "runs": sample.n,
            "values": sample.values,
            "median": sample.median,
            "spread_pct": None if sample.relative_sd is None else sample.relative_sd * 100,
            "deviation_pct": verdict.deviation_pct,
            "band_pct": verdict.band_pct,
            "p_value": verdict.p_value,
            "outside_band": verdict.outside_band,
            "verdict": _verdict(verdict, lower_is_better),
            "uniformity": verdict.uniformity,
            "noise_set_apart": host in noise.set_apart,
            "not_representative": sorted(reasons.get(host, ())),
        })
    deviations = {h["host"]: h["deviation_pct"] or 0.0 for h in hosts}
    telemetry = telemetry_by_host(records)
    for entry in hosts:
        entry["differences"], entry["causes"], entry["explanation"] = _explain(
            entry, configs, deviations, metric, noise.measured, telemetry)
        entry["telemetry"] = telemetry_digest(telemetry.get(entry["host"]))
    return {
        "scenario": label,
        "metric": metric,
        "unit": unit,
        "lower_is_better": lower_is_better,
        "fleet_median": statistics.median(s.median for s in samples.values()),
        "noise": noise_summary(noise, settings, len(samples)),
        "detectable": detectable_summary(noise, settings, [s.n for s in samples.values()], lower_is_better),
        "uniformity": uniformity_summary(hosts, settings, noise.measured),
        "outliers": outlier_summary({h: statistics.fmean(v) for h, v in logs.items() if v}),
        "run_order": run_order(records),
        "hosts": hosts,
        "comparable": len(samples) > 1,
    }


def _verdict(verdict: HostVerdict, lower_is_better: bool) -> str:
    if verdict.deviation_pct is None:
        return "only host: nothing to compare"
    if not verdict.outside_band:
        return "no difference measurable"
    better = verdict.deviation_pct < 0 if lower_is_better else verdict.deviation_pct > 0
    return "faster" if better else "slower"


def _explain(
    entry: dict[str, t.Any],
    configs: t.Mapping[str, t.Mapping[str, t.Any]],
    deviations: t.Mapping[str, float],
    metric: str,
    noise_measured: bool,
    telemetry: t.Mapping[str, HostTelemetry],
) -> tuple[list[dict[str, t.Any]], list[dict[str, t.Any]], str | None]:
    """For a host outside the noise band: (ranked configuration differences, measured causes,
    one sentence led by the causes measured during the run, the differences after them)."""
    if not entry["outside_band"]:
        return [], [], None
    host = entry["host"]
    found = differences(configs.get(host, {}), fleet_reference(configs, exclude=host))
    for diff in found:
        diff["separation_pct"] = _separation(diff["field"], configs, deviations, host)
    found.sort(key=lambda d: (-round(d["separation_pct"], 1), -d["weight"]))
    causes = measured_causes(host, telemetry) if entry["verdict"] == "slower" else []
    direction = "below" if entry["deviation_pct"] < 0 else "above"
    band = f"noise band {entry['band_pct']:.1f}%{'' if noise_measured else ', assumed'}"
    parts = [f"{host}: {abs(entry['deviation_pct']):.0f}% {direction} the fleet median {metric} ({band})"]
    if causes:
        parts.append("measured: " + "; ".join(c["text"] for c in causes))
    elif entry["verdict"] == "faster" and (held := held_back_others(host, telemetry)):
        parts.append("the others were held back, measured: " + "; ".join(held))
    elif host in telemetry:
        parts.append("no CPU throttling, steal, power cap, thermal limit, PCIe or clock drop measured")
    if found:
        shown = [f"{d['label']} {d['value']} vs {d['other']}" for d in found[:MAX_DIFFERENCES_IN_SENTENCE]]
        more = f" and {len(found) - MAX_DIFFERENCES_IN_SENTENCE} more" if len(found) > MAX_DIFFERENCES_IN_SENTENCE else ""
        parts.append(f"{'also differs' if causes else 'differs'} in {', '.join(shown)}{more}")
    elif not causes and host not in telemetry:
        parts.append("no difference in the recorded configuration (same driver, CUDA, versions, engine arguments "
                     "and checksums) and no telemetry recorded to measure a cause")
    else:
        parts.append("no difference in the recorded configuration")
    return found, causes, "; ".join(parts)


def _separation(field: str, configs: t.Mapping[str, t.Mapping[str, t.Any]], deviations: t.Mapping[str, float], host: str) -> float:
    """How much this field's value splits the fleet's performance: mean deviation of the hosts
    sharing the host's value minus that of the others. A field the fast hosts share too explains little."""
    value = configs.get(host, {}).get(field)
    same = [d for h, d in deviations.items() if configs.get(h, {}).get(field) == value]
    other = [d for h, d in deviations.items() if h in configs and field in configs[h] and configs[h][field] != value]
    if not same or not other:
        return 0.0
    return abs(statistics.fmean(same) - statistics.fmean(other))


def _scaling(
    tabulated: list[dict[str, t.Any]],
    groups: list[dict[str, t.Any]],
    settings: NoiseSettings,
    limits: Thresholds,
) -> list[dict[str, t.Any]]:
    """Fleet runs (all hosts at once) against the sum of the same hosts' single-host results."""
    fleet = [r for r in tabulated if r.get("fleet_mode") == "fleet"]
    out = []
    for (label, metric), records in _by_scenario_and_metric(fleet).items():
        if not is_throughput(records[0]["headline"]):
            continue  # latencies do not add up across hosts
        out.append(_scaling_entry(label, metric, records, groups, fleet, settings, limits))
    return out


def _scaling_entry(label, metric, records, groups, fleet, settings, limits) -> dict[str, t.Any]:
    by_repeat: dict[t.Any, dict[str, dict[str, t.Any]]] = {}
    for record in records:
        by_repeat.setdefault(record.get("repeat"), {})[record["host"]] = record
    hosts = sorted({r["host"] for r in fleet if scenario_label(r) == label})
    complete = {rep: vals for rep, vals in by_repeat.items() if set(vals) == set(hosts)}
    single_hosts: dict[str, dict[str, t.Any]] = {}
    for group in reversed(groups):  # this run's own single-host results win over the reference's
        if group["scenario"] == label and group["metric"] == metric:
            single_hosts.update({h["host"]: h for h in group["hosts"]})
    entry: dict[str, t.Any] = {"scenario": label, "metric": metric, "hosts": hosts,
                               "fleet_runs": len(complete), "not_representative": []}
    entry["not_representative"] = sorted({reason for r in records for reason in representativeness(r, limits)}
                                         | {reason for h in single_hosts.values() for reason in h["not_representative"]})
    windows = {rep: fleet_window(list(by_host.values())) for rep, by_host in sorted(complete.items(), key=lambda i: str(i[0]))}
    entry["windows"] = [dict(_without_epochs(window), repeat=rep) for rep, window in windows.items()]
    entry["fleet_wide"] = bool(windows) and all(w["fleet_wide"] for w in windows.values())
    missing = [h for h in hosts if h not in single_hosts]
    if not complete or missing:
        entry["verdict"] = ("cannot be computed: " + (f"no VALID single-host result for {', '.join(missing)}" if missing
                            else "no fleet run in which every host finished VALID"))
        return entry
    if not entry["fleet_wide"]:
        entry["verdict"] = "cannot be computed: " + next(w["verdict"] for w in windows.values() if not w["fleet_wide"])
        return entry
    in_window = {rep: [window_rate(r, windows[rep]["overlap_start_epoch"], windows[rep]["overlap_end_epoch"], metric)
                       for r in by_host.values()] for rep, by_host in complete.items()}
    no_progress = sorted({h for rep, by_host in complete.items() for h, rate in zip(by_host, in_window[rep]) if rate is None})
    if no_progress:
        entry["verdict"] = f"cannot be computed: no progress timeline over the shared window for {', '.join(no_progress)}"
        return entry
    entry["whole_run_fleet_total"] = statistics.median(
        t.cast(float, fleet_total(r["headline"] for r in by_host.values())) for by_host in complete.values())
    totals = Sample([sum(t.cast("list[float]", rates)) for rates in in_window.values()])
    single_sum = sum(single_hosts[h]["median"] for h in hosts)
    efficiency = totals.median / single_sum
    fleet_noise = pooled_noise([totals], settings)
    single_noise = pooled_noise([Sample(h["values"]) for h in single_hosts.values()], settings)
    runs_single = min(single_hosts[h]["runs"] for h in hosts)
    uncertainty = combined_uncertainty(fleet_noise.mean_uncertainty(totals.n), single_noise.mean_uncertainty(runs_single))
    entry.update({
        "fleet_total": totals.median,
        "fleet_totals": totals.values,
        "single_host_sum": single_sum,
        "efficiency_pct": efficiency * 100,
        "uncertainty_pct": uncertainty * 100,
        "uncertainty_method": "measured from repeats" if fleet_noise.measured and single_noise.measured
        else f"assumed {settings.default_pct:g}% per side where repeats are missing",
    })
    if efficiency - 1 > uncertainty:
        entry["verdict"] = "super-linear"
    elif 1 - efficiency > uncertainty:
        entry["verdict"] = "sub-linear"
    else:
        entry["verdict"] = "no difference measurable: linear within noise"
    if entry["not_representative"]:
        entry["verdict"] += " (not representative)"
    return entry


def _without_epochs(window: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {k: v for k, v in window.items() if not k.endswith("_epoch")}


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
