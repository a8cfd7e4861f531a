# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Charts for the HTML report, drawn with matplotlib and returned as inline SVG text.

Inline SVG keeps the report one self-contained file that opens without a network. Each
function takes part of the report dict and returns (title, svg) or None when there is
nothing honest to draw.
"""
from __future__ import annotations

import io
import statistics
import typing as t

try:
    # Figure without pyplot: no GUI backend, no global figure registry, a fraction of the import time.
    from matplotlib.figure import Figure
except ImportError:  # pragma: no cover - reported by render_charts
    Figure = None

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet_charts import (
    change_histogram,
    configuration_groups,
    percentile_boxes,
    throughput_boxes,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet_view import summarised

NS_PER_MS = 1e6
_PERCENTILE_ORDER = ("min", "p50", "p90", "p95", "p97", "p99", "p99.9", "max")
_PERCENTILE_X = {"min": 0, "p50": 50, "p90": 90, "p95": 95, "p97": 97, "p99": 99, "p99.9": 99.9, "max": 100}


def render_charts(report: t.Mapping[str, t.Any]) -> list[dict[str, str]]:
    """Every chart the report's data supports, as [{id, title, svg}]."""
    if Figure is None:
        raise RuntimeError("the HTML report needs matplotlib on the controller: pip install -r requirements/controller.txt")
    import matplotlib

    # Labels are host names and scenario labels: plain text, never maths (`h1 $\\frac{$` is a host
    # name, not a formula). A context, so the settings do not leak into other users of matplotlib.
    settings = {"svg.hashsalt": "fleetbench", "text.parse_math": False, "text.usetex": False}
    if summarised(report):
        # Text as SVG text, not glyph outlines: a reader's find-in-page reaches a host named in a chart.
        with matplotlib.rc_context({**settings, "svg.fonttype": "none"}):
            return _fleet_charts(report)
    with matplotlib.rc_context(settings):
        return _all_charts(report)


def _fleet_charts(report: t.Mapping[str, t.Any]) -> list[dict[str, str]]:
    """The same charts for a fleet above the summary threshold: distributions, the hosts outside the band named."""
    charts = []
    by_configuration = configuration_groups(report["configuration"])
    for index, group in enumerate(report.get("groups") or []):
        charts.append(_chart(f"throughput-{index}", f"{group['scenario']}: {group['metric']} of {len(group['hosts'])} hosts "
                             "by configuration, with the noise band and the hosts outside it", throughput_boxes, group,
                             by_configuration))
    rows = [r for r in report.get("rows") or [] if r.get("result") != "ERROR"]
    for key, name in (("ttft_ns", "time to first token"), ("tpot_ns", "time per output token")):
        per_host = _median_percentiles(rows, key)
        if per_host:
            charts.append(_chart(key, f"{name} (ms): p50 / p90 / p99 across hosts per scenario (median over repeats), "
                                 "the highest host named", percentile_boxes, per_host))
    per_host = _median_percentiles(rows, "latency_ns", _PERCENTILE_ORDER)
    if any(len(values) >= 3 for values in per_host.values()):
        charts.append(_chart("latency-distribution", "per-sample latency distribution (percentiles from the LoadGen log)",
                             _latency_curve, per_host))
    comparison = report.get("comparison")
    if comparison and any(r["change_pct"] is not None for r in comparison.get("rows", [])):
        charts.append(_chart("before-after", "change against the baseline per host and scenario, regressions named",
                             change_histogram, comparison))
    return charts


def _all_charts(report: t.Mapping[str, t.Any]) -> list[dict[str, str]]:
    charts = []
    for index, group in enumerate(report.get("groups") or []):
        charts.append(_chart(f"throughput-{index}", f"{group['scenario']}: {group['metric']} per host, with the noise band",
                             _throughput, group))
    rows = [r for r in report.get("rows") or [] if r.get("result") != "ERROR"]
    for key, name in (("ttft_ns", "time to first token"), ("tpot_ns", "time per output token")):
        per_host = _median_percentiles(rows, key)
        if per_host:
            charts.append(_chart(key, f"{name} (ms): p50 / p90 / p99 per host and scenario (median over repeats)",
                                 _percentile_bars, per_host))
    per_host = _median_percentiles(rows, "latency_ns", _PERCENTILE_ORDER)
    if any(len(values) >= 3 for values in per_host.values()):
        charts.append(_chart("latency-distribution", "per-sample latency distribution (percentiles from the LoadGen log)",
                             _latency_curve, per_host))
    comparison = report.get("comparison")
    if comparison and any(r["before"] and r["after"] for r in comparison.get("rows", [])):
        charts.append(_chart("before-after", "before / after per host", _before_after, comparison))
    return charts


def _median_percentiles(rows, key: str, percentiles: tuple[str, ...] = ("p50", "p90", "p99")) -> dict[str, dict[str, float]]:
    """Per "host scenario", the median over repeats of each percentile: one bar group per host, however many runs."""
    collected: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        values = row.get(key) or {}
        label = f"{row['host']} {row['scenario']}"
        for percentile in percentiles:
            if values.get(percentile) is not None:
                collected.setdefault(label, {}).setdefault(percentile, []).append(values[percentile])
    return {label: {p: statistics.median(v) for p, v in values.items()} for label, values in collected.items()}


def _chart(chart_id: str, title: str, draw: t.Callable[..., None], *args: t.Any) -> dict[str, str]:
    figure = Figure(figsize=(8, 3.6), dpi=96, layout="constrained")
    axes = figure.add_subplot()
    draw(axes, *args)
    axes.grid(axis="y", alpha=0.3)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return {"id": chart_id, "title": title, "svg": svg[svg.index("<svg"):]}


def _host_ticks(axes, labels: list[str]) -> None:
    """Readable host labels: horizontal for a few hosts, rotated and small for a fleet."""
    many = len(labels) > 12
    axes.set_xticks(range(len(labels)), labels, fontsize=5 if many else 7, rotation=90 if many else 0)


def _throughput(axes, group: t.Mapping[str, t.Any]) -> None:
    hosts = group["hosts"]
    medians = [h["median"] for h in hosts]
    low = [h["median"] - min(h["values"]) for h in hosts]
    high = [max(h["values"]) - h["median"] for h in hosts]
    colours = ["#c0392b" if h["verdict"] == "slower" else "#27ae60" if h["verdict"] == "faster" else "#2e86c1" for h in hosts]
    axes.bar(range(len(hosts)), medians, color=colours, yerr=[low, high], capsize=2 if len(hosts) > 12 else 4)
    median = group["fleet_median"]
    band = max(h["band_pct"] for h in hosts) / 100
    axes.axhspan(median * (1 - band), median * (1 + band), color="#f5b041", alpha=0.3, label=f"noise band ±{band * 100:.1f}%")
    axes.axhline(median, color="#7d6608", linewidth=1, label="fleet median")
    _host_ticks(axes, [h["host"] for h in hosts])
    axes.set_ylabel(group["unit"])
    axes.legend(loc="lower right", fontsize=8)


def _percentile_bars(axes, per_host: dict[str, dict[str, float]]) -> None:
    labels = sorted(per_host)
    width = 0.27
    for offset, percentile in enumerate(("p50", "p90", "p99")):
        values = [per_host[label].get(percentile, 0) / NS_PER_MS for label in labels]
        axes.bar([p + (offset - 1) * width for p in range(len(labels))], values, width, label=percentile)
    _host_ticks(axes, [label.replace(" ", "\n", 1) if len(labels) <= 12 else label for label in labels])
    axes.set_ylabel("ms")
    axes.legend(fontsize=8)


def _latency_curve(axes, per_host: dict[str, dict[str, float]]) -> None:
    """One curve per host for a few hosts; for a fleet, the median host with the fleet's range."""
    if len(per_host) <= 12:
        for label in sorted(per_host):
            points = [(_PERCENTILE_X[k], per_host[label][k] / NS_PER_MS) for k in _PERCENTILE_ORDER if k in per_host[label]]
            axes.plot([point[0] for point in points], [point[1] for point in points], marker="o", label=label)
    else:
        keys = [k for k in _PERCENTILE_ORDER if all(k in values for values in per_host.values())]
        columns = [[values[k] / NS_PER_MS for values in per_host.values()] for k in keys]
        xs = [_PERCENTILE_X[k] for k in keys]
        axes.fill_between(xs, [min(c) for c in columns], [max(c) for c in columns], alpha=0.3, label=f"range of {len(per_host)} hosts")
        axes.plot(xs, [statistics.median(c) for c in columns], marker="o", label="median host")
    axes.set_xlabel("percentile of samples")
    axes.set_ylabel("latency (ms)")
    axes.legend(fontsize=7)


def _before_after(axes, comparison: t.Mapping[str, t.Any]) -> None:
    rows = [r for r in comparison["rows"] if r["before"] and r["after"]]
    positions = range(len(rows))
    axes.bar([p - 0.2 for p in positions], [r["before"]["median"] for r in rows], 0.4, label="baseline", color="#95a5a6")
    axes.bar([p + 0.2 for p in positions], [r["after"]["median"] for r in rows], 0.4, label="this run",
             color=["#c0392b" if r["regressed"] else "#2e86c1" for r in rows])
    labels = [f"{r['host']} {r['scenario']}" for r in rows]
    _host_ticks(axes, [label.replace(" ", "\n", 1) if len(labels) <= 12 else label for label in labels])
    axes.set_ylabel(rows[0]["unit"])
    axes.legend(fontsize=8)
