# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scaling: fleet runs (all hosts at once) against the sum of the same hosts' single-host
results, computed only over the window in which every host was measuring."""
from __future__ import annotations

import statistics
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.fleet_window import fleet_window, window_rate
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import fleet_total, is_throughput
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import Thresholds, representativeness
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.records import by_scenario_and_metric, scenario_label
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import NoiseSettings, Sample, combined_uncertainty, pooled_noise


def scaling(
    tabulated: list[dict[str, t.Any]],
    groups: list[dict[str, t.Any]],
    settings: NoiseSettings,
    limits: Thresholds,
) -> list[dict[str, t.Any]]:
    """Fleet runs (all hosts at once) against the sum of the same hosts' single-host results."""
    fleet = [r for r in tabulated if r.get("fleet_mode") == "fleet"]
    out = []
    for (label, metric), records in by_scenario_and_metric(fleet).items():
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
