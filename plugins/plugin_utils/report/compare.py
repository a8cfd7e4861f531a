# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A/B: one run against a baseline run (e.g. before and after a driver upgrade).

Per host and scenario: the change of the headline metric (paired by host, on log throughput,
Holm over the hosts compared; see report_host_stats), whether it is beyond noise, the smallest
change the two runs could see, and what changed in the host's configuration between them. With a tolerance it is a
regression gate: a host regressed when it got worse beyond both the noise band and the
tolerance, or when it has no VALID result where the baseline had one.
"""
from __future__ import annotations

import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.config import differences
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.consistency import server_offline_checks
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.records import RunInput, host_configs, read_run, scenario_label
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import is_measurement
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.causes import cause_changes, telemetry_by_host
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.format import count
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_stats import (
    DETECTION_POWER,
    HostNoise,
    band_percent,
    compare_before_after,
    log_values,
    minimum_detectable_change,
    percent,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import (
    CONFIDENCE,
    DEFAULT_NOISE_PCT,
    NoiseSettings,
    Sample,
)


def compare_runs(
    current: t.Mapping[str, t.Any] | RunInput,
    baseline: t.Mapping[str, t.Any] | RunInput,
    tolerance_pct: float | None = None,
    default_noise_pct: float = DEFAULT_NOISE_PCT,
    confidence: float = CONFIDENCE,
) -> dict[str, t.Any]:
    """`current` and `baseline` as results documents, or as read_run() already made them for the report."""
    current, baseline = read_run(current), read_run(baseline)
    records_after, records_before = current.records, baseline.records
    measured_after = [r for r in records_after if is_measurement(r)]
    measured_before = [r for r in records_before if is_measurement(r)]
    after, before = _samples(measured_after), _samples(measured_before)
    settings = NoiseSettings(float(default_noise_pct), float(confidence))
    configs_after = host_configs(records_after, current.hosts_facts)
    configs_before = host_configs(records_before, baseline.hosts_facts)
    rows, detectable, methods = [], [], []
    for group in sorted({key[1:] for key in set(before) | set(after)}):
        group_before = {k[0]: v for k, v in before.items() if k[1:] == group}
        group_after = {k[0]: v for k, v in after.items() if k[1:] == group}
        tests, noise = compare_before_after(
            {h: log_values(s.values) for h, s in group_before.items()},
            {h: log_values(s.values) for h, s in group_after.items()}, settings)
        telemetry_before = telemetry_by_host(r for r in measured_before if scenario_label(r) == group[0])
        telemetry_after = telemetry_by_host(r for r in measured_after if scenario_label(r) == group[0])
        for host in sorted(set(group_before) | set(group_after)):
            rows.append(_row((host, *group), group_before.get(host), group_after.get(host), tests.get(host),
                             noise.measured, tolerance_pct, configs_after.get(host, {}), configs_before.get(host, {})))
            rows[-1]["measured_changes"] = cause_changes(host, telemetry_before, telemetry_after)
        detectable.append(_detectable(group, noise, settings, group_before, group_after, len(tests)))
        methods.append(_method(noise, settings, len(tests)))
    regressions = sorted({r["host"] for r in rows if r["regressed"]})
    return {
        "run_id": current.run_id,
        "baseline_run_id": baseline.run_id,
        "tolerance_pct": tolerance_pct,
        "noise": {"measured": any(m[0] for m in methods), "confidence": settings.confidence,
                  "method": "; ".join(dict.fromkeys(m[1] for m in methods)) or "no results to compare"},
        "detectable": detectable,
        "rows": rows,
        "regressions": regressions,
        "passed": not regressions,
        "consistency": server_offline_checks(records_after, settings.default_pct),
    }


def _method(noise: HostNoise, settings: NoiseSettings, hosts: int) -> tuple[bool, str]:
    if not noise.measured:
        return False, f"assumed {settings.default_pct:g}% (no repeated runs on both sides: set fleetbench_repeats >= 2)"
    return True, (f"measured from repeats of both runs (pooled within-host spread {percent(t.cast(float, noise.sd)):.1f}%, "
                  f"{noise.degrees_of_freedom} df); each host against itself on log throughput, Student's t, Holm over "
                  f"{count(hosts, 'host')} at {settings.confidence_pct}")


def _detectable(group, noise, settings, before, after, hosts) -> dict[str, t.Any]:
    label, metric, unit = group
    runs_before = _typical_runs(before.values())
    runs_after = _typical_runs(after.values())
    change = minimum_detectable_change(noise, settings, runs_before, runs_after, hosts)
    entry = {"scenario": label, "metric": metric, "worse_pct": None, "better_pct": None}
    if change is None:
        entry["text"] = f"{label} {metric}: unknown (no repeated runs on both sides)"
        return entry
    down, up = -percent(-change), percent(change)
    entry["worse_pct"], entry["better_pct"] = (up, down) if unit == "ns" else (down, up)
    entry["text"] = (f"{label} {metric}: with {runs_before} runs before and {runs_after} after, a host must change by "
                     f"{entry['worse_pct']:.0f}% (worse) or {entry['better_pct']:.0f}% (better) to be flagged "
                     f"{DETECTION_POWER * 100:.0f}% of the time at {settings.confidence_pct}")
    return entry


def _typical_runs(samples: t.Iterable[Sample]) -> int:
    runs = sorted(s.n for s in samples)
    return runs[len(runs) // 2] if runs else 0


def _samples(measured: list[dict[str, t.Any]]) -> dict[tuple[str, str, str, str], Sample]:
    """Each host's single-host values per scenario and metric; fleet runs are compared by the scaling section."""
    samples: dict[tuple[str, str, str, str], Sample] = {}
    for record in measured:
        if record.get("fleet_mode", "per_host") != "fleet":
            headline = record["headline"]
            key = (record["host"], scenario_label(record), headline["name"], headline["unit"])
            samples.setdefault(key, Sample([])).values.append(float(headline["value"]))
    return samples


def _row(key, before: Sample | None, after: Sample | None, test, measured, tolerance_pct, config_after, config_before) -> dict[str, t.Any]:
    host, label, metric, unit = key
    changed = [
        {"label": d["label"], "before": d["other"], "after": d["value"]}
        for d in differences(config_after, config_before)
    ]
    row: dict[str, t.Any] = {
        "host": host, "scenario": label, "metric": metric, "unit": unit,
        "before": None if before is None else {"median": before.median, "runs": before.n},
        "after": None if after is None else {"median": after.median, "runs": after.n},
        "config_changes": changed, "change_pct": None, "band_pct": None, "p_value": None,
        "significant": False, "regressed": False,
    }
    if before is None:
        row["verdict"] = "new: no baseline result to compare with"
        return row
    if after is None:
        row["verdict"] = "no VALID result in this run (the baseline had one)"
        row["regressed"] = tolerance_pct is not None
        return row
    difference, band, significant = test
    change = percent(difference.estimate)
    worse = change > 0 if unit == "ns" else change < 0
    row.update({
        "change_pct": change,
        "band_pct": band_percent(band, difference.estimate),
        "p_value": difference.p_value() if measured else None,
        "significant": significant,
        "verdict": ("worse" if worse else "better") if significant else "no difference measurable",
    })
    row["regressed"] = bool(tolerance_pct is not None and worse and significant and abs(change) > tolerance_pct)
    return row
