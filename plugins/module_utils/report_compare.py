# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A/B: one run against a baseline run (e.g. before and after a driver upgrade).

Per host and scenario: the change of the headline metric, whether it is beyond noise, and
what changed in the host's configuration between the two runs. With a tolerance it is a
regression gate: a host regressed when it got worse beyond both the noise band and the
tolerance, or when it has no VALID result where the baseline had one.
"""
from __future__ import annotations

import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.report_config import differences, host_configuration
from ansible_collections.fleetbench.llm.plugins.module_utils.report_fleet import normalised_records, scenario_label
from ansible_collections.fleetbench.llm.plugins.module_utils.report_honesty import is_measurement
from ansible_collections.fleetbench.llm.plugins.module_utils.report_stats import (
    CONFIDENCE,
    DEFAULT_NOISE_PCT,
    NoiseSettings,
    Sample,
    pooled_noise,
    relative_change,
    welch_p_value,
)


def compare_runs(
    current: t.Mapping[str, t.Any],
    baseline: t.Mapping[str, t.Any],
    tolerance_pct: float | None = None,
    default_noise_pct: float = DEFAULT_NOISE_PCT,
    confidence: float = CONFIDENCE,
) -> dict[str, t.Any]:
    after, before = _samples(current), _samples(baseline)
    settings = NoiseSettings(float(default_noise_pct), float(confidence))
    noise = pooled_noise(list(after.values()) + list(before.values()), settings)
    rows = []
    for key in sorted(set(before) | set(after)):
        rows.append(_row(key, before.get(key), after.get(key), noise, tolerance_pct, current, baseline))
    regressions = sorted({r["host"] for r in rows if r["regressed"]})
    return {
        "run_id": current.get("run_id"),
        "baseline_run_id": baseline.get("run_id"),
        "tolerance_pct": tolerance_pct,
        "noise": {"measured": noise.measured, "method": noise.method, "confidence": settings.confidence},
        "rows": rows,
        "regressions": regressions,
        "passed": not regressions,
    }


def _samples(results: t.Mapping[str, t.Any]) -> dict[tuple[str, str, str, str], Sample]:
    samples: dict[tuple[str, str, str, str], Sample] = {}
    for record in normalised_records(results):
        if is_measurement(record) and record.get("fleet_mode", "per_host") != "fleet":
            headline = record["headline"]
            key = (record["host"], scenario_label(record), headline["name"], headline["unit"])
            samples.setdefault(key, Sample([])).values.append(float(headline["value"]))
    return samples


def _config(results: t.Mapping[str, t.Any], host: str) -> dict[str, t.Any]:
    facts = (results.get("hosts") or {}).get(host) or {}
    run_info = None
    for record in results.get("records") or []:
        if isinstance(record, t.Mapping) and record.get("host") == host and record.get("run_info"):
            run_info = record["run_info"]
    return host_configuration(facts.get("gpu"), facts.get("fingerprint"), run_info)


def _row(key, before: Sample | None, after: Sample | None, noise, tolerance_pct, current, baseline) -> dict[str, t.Any]:
    host, label, metric, unit = key
    changed = [
        {"label": d["label"], "before": d["other"], "after": d["value"]}
        for d in differences(_config(current, host), _config(baseline, host))
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
    change = relative_change(after.median, before.median)
    band = noise.band(after.n, before.n)
    worse = change is not None and (change > 0 if unit == "ns" else change < 0)
    significant = change is not None and abs(change) > band
    row.update({
        "change_pct": None if change is None else change * 100,
        "band_pct": band * 100,
        "p_value": welch_p_value(before.values, after.values),
        "significant": significant,
        "verdict": ("worse" if worse else "better") if significant else "no difference measurable",
    })
    row["regressed"] = bool(
        tolerance_pct is not None and worse and significant and abs(change) * 100 > tolerance_pct
    )
    return row
