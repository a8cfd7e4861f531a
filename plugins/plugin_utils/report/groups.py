# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One group per scenario and metric: each host against the rest of the fleet, and for a host
outside the band the explanation, led by causes measured during the run."""
from __future__ import annotations

import statistics
import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.config import differences, fleet_reference
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import Thresholds, representativeness
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.causes import (
    HostTelemetry,
    held_back_others,
    measured_causes,
    telemetry_by_host,
    telemetry_digest,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_stats import HostVerdict, compare_hosts, host_noise, log_values
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_summaries import (
    detectable_summary,
    noise_summary,
    outlier_summary,
    run_order,
    uniformity_summary,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.records import host_configs
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import NoiseSettings, Sample

MAX_DIFFERENCES_IN_SENTENCE = 4


def host_samples(records: list[dict[str, t.Any]]) -> dict[str, Sample]:
    samples: dict[str, Sample] = {}
    for record in records:
        samples.setdefault(record["host"], Sample([])).values.append(float(record["headline"]["value"]))
    return dict(sorted(samples.items()))


def group_report(
    label: str,
    metric: str,
    records: list[dict[str, t.Any]],
    hosts_facts: t.Mapping[str, t.Any],
    settings: NoiseSettings,
    limits: Thresholds,
) -> dict[str, t.Any]:
    unit = records[0]["headline"]["unit"]
    lower_is_better = unit == "ns"
    samples = host_samples(records)
    logs = {host: log_values(sample.values) for host, sample in samples.items()}
    noise = host_noise(logs)
    verdicts = compare_hosts(logs, noise, settings)
    configs = host_configs(records, hosts_facts)
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
