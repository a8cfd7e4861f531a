# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Charts of a large fleet's distribution, for reports above the summary threshold.

A bar per host stops being readable at a few dozen hosts, and the SVG grows by a few kB per
bar. These draw what a fleet owner reads instead: a box of host medians per group of identically
configured hosts, the hosts outside the noise band as points with the worst of them named; boxes
of latency percentiles across hosts; a histogram of the change against a baseline with the
regressions named. Each function draws on the matplotlib axes it is given (report_charts makes
the figure and the SVG).
"""
from __future__ import annotations

import statistics
import typing as t

NS_PER_MS = 1e6
NAMED_ON_CHART = 8
CONFIGURATION_GROUPS = 6
SLOWER, FASTER, BOX = "#c0392b", "#27ae60", "#2e86c1"


def configuration_groups(configuration: t.Mapping[str, t.Any]) -> dict[str, list[str]]:
    """Hosts grouped by identical configuration, largest group first, labelled by what sets each apart.

    Beyond CONFIGURATION_GROUPS the smallest groups share one box: a chart with a hundred boxes
    is as unreadable as one with a thousand bars.
    """
    differing = [row for row in configuration.get("rows") or [] if row["differs"]]
    groups: dict[tuple[t.Any, ...], list[str]] = {}
    for host in configuration.get("hosts") or []:
        groups.setdefault(tuple(row["values"].get(host) for row in differing), []).append(host)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), str(item[0])))
    labelled = {_group_label(key, differing): hosts for key, hosts in ordered[:CONFIGURATION_GROUPS - 1]}
    rest = [host for key, hosts in ordered[CONFIGURATION_GROUPS - 1:] for host in hosts]
    if len(ordered) == CONFIGURATION_GROUPS:
        labelled[_group_label(ordered[-1][0], differing)] = rest
    elif rest:
        labelled[f"{len(ordered) - CONFIGURATION_GROUPS + 1} other configurations"] = rest
    return labelled


def _group_label(key: tuple[t.Any, ...], differing: list[t.Mapping[str, t.Any]]) -> str:
    apart = [f"{row['label']} {value}" for row, value in zip(differing, key) if value is not None and value != row["majority"]]
    return ", ".join(apart) if apart else ("majority configuration" if differing else "every host alike")


def throughput_boxes(axes, group: t.Mapping[str, t.Any], by_configuration: t.Mapping[str, list[str]]) -> None:
    """Host medians as a box per configuration group, the noise band around the fleet median, the hosts outside it named."""
    medians = {h["host"]: h["median"] for h in group["hosts"]}
    labels, columns = [], []
    for label, hosts in by_configuration.items():
        values = [medians[h] for h in hosts if h in medians]
        if values:
            labels.append(f"{label}\n({len(values)} hosts)")
            columns.append(values)
    unknown = set(medians) - {h for hosts in by_configuration.values() for h in hosts}
    if unknown:
        labels.append(f"configuration unknown\n({len(unknown)} hosts)")
        columns.append([medians[h] for h in sorted(unknown)])
    axes.boxplot(columns, showfliers=False, widths=0.5, patch_artist=True, boxprops={"facecolor": "#d6eaf8"})
    median = group["fleet_median"]
    # The typical host's band: one host judged on its own noise can have a band wider than the chart.
    band = statistics.median(h["band_pct"] for h in group["hosts"]) / 100
    axes.axhspan(median * (1 - band), median * (1 + band), color="#f5b041", alpha=0.3, label=f"noise band ±{band * 100:.1f}%")
    axes.axhline(median, color="#7d6608", linewidth=1, label="fleet median")
    position = {host: index + 1 for index, hosts in enumerate(_columns_hosts(by_configuration, medians, unknown))
                for host in hosts}
    outside = sorted((h for h in group["hosts"] if h["outside_band"]), key=lambda h: -abs(h["deviation_pct"] or 0.0))
    for verdict, colour in (("slower", SLOWER), ("faster", FASTER)):
        points = [h for h in outside if h["verdict"] == verdict]
        if points:
            axes.scatter([position[h["host"]] for h in points], [h["median"] for h in points], s=12, color=colour,
                         zorder=3, label=f"{len(points)} {verdict} beyond the band")
    _name(axes, [(position[h["host"]], h["median"], h["host"]) for h in outside])
    axes.set_xticks(range(1, len(labels) + 1), labels, fontsize=7)
    axes.set_ylabel(group["unit"])
    axes.legend(loc="lower left", fontsize=7)


def _columns_hosts(by_configuration, medians, unknown) -> list[list[str]]:
    columns = [[h for h in hosts if h in medians] for hosts in by_configuration.values()]
    return [c for c in columns if c] + ([sorted(unknown)] if unknown else [])


def _name(axes, points: list[tuple[float, float, str]]) -> None:
    """Name the first NAMED_ON_CHART points in a column at the right, each joined to its point by a
    thin line (the worst hosts often sit at nearly one value); say how many more there are."""
    named = points[:NAMED_ON_CHART]
    heading = f"{len(named)} furthest" + (f" ({len(points) - len(named)} more in the tables)" if len(points) > len(named) else "")
    if named:
        axes.text(0.78, 0.97, heading, transform=axes.transAxes, fontsize=6, va="top")
    for index, (x, y, host) in enumerate(named):
        axes.annotate(host, (x, y), xytext=(0.80, 0.9 - 0.075 * index), textcoords="axes fraction", fontsize=6,
                      va="center", arrowprops={"arrowstyle": "-", "linewidth": 0.3, "color": "#777"})


def percentile_boxes(axes, per_host: t.Mapping[str, t.Mapping[str, float]]) -> None:
    """A box per scenario and percentile over the hosts; the highest host of each box named."""
    scenarios = sorted({label.rsplit(" ", 1)[-1] for label in per_host})
    columns, labels, worst = [], [], []
    for scenario in scenarios:
        for percentile in ("p50", "p90", "p99"):
            values = {label.rsplit(" ", 1)[0]: v[percentile] / NS_PER_MS for label, v in per_host.items()
                      if label.rsplit(" ", 1)[-1] == scenario and percentile in v}
            if values:
                columns.append(list(values.values()))
                labels.append(f"{scenario}\n{percentile}")
                host = max(values, key=values.__getitem__)
                worst.append((len(columns), values[host], host))
    axes.boxplot(columns, widths=0.5, flierprops={"markersize": 2})
    _name(axes, worst)
    axes.set_xticks(range(1, len(labels) + 1), labels, fontsize=7)
    axes.set_ylabel("ms")


def change_histogram(axes, comparison: t.Mapping[str, t.Any]) -> None:
    """How much each host changed against the baseline, as a histogram; the regressions named."""
    rows = [r for r in comparison["rows"] if r["change_pct"] is not None]
    axes.hist([r["change_pct"] for r in rows], bins=40, color="#95a5a6", label=f"{len(rows)} host and scenario pairs")
    tolerance = comparison.get("tolerance_pct")
    if tolerance is not None:
        for edge in (-tolerance, tolerance):
            axes.axvline(edge, color="#7d6608", linewidth=1, linestyle="--")
    regressed = sorted((r for r in rows if r["regressed"]), key=lambda r: r["change_pct"] if r["unit"] != "ns" else -r["change_pct"])
    if regressed:
        axes.scatter([r["change_pct"] for r in regressed], [0] * len(regressed), color=SLOWER, s=12, zorder=3,
                     label=f"{len(regressed)} regressions")
        _name(axes, [(r["change_pct"], 0, f"{r['host']} {r['scenario']}") for r in regressed])
    axes.set_xlabel("change against the baseline (%)")
    axes.set_ylabel("host and scenario pairs")
    axes.legend(fontsize=7)
