# Copyright: fleetbench developers
# Apache License 2.0 (see galaxy.yml)
"""Charts for the HTML report, drawn with matplotlib and returned as inline SVG text.

Inline SVG keeps the report one self-contained file that opens without a network. Each
function takes part of the report dict and returns (title, svg) or None when there is
nothing honest to draw.
"""
from __future__ import annotations

import io
import typing as t

try:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.figure import Figure
except ImportError:  # pragma: no cover - reported by render_charts
    matplotlib = None

NS_PER_MS = 1e6
_PERCENTILE_ORDER = ("min", "p50", "p90", "p95", "p97", "p99", "p99.9", "max")
_PERCENTILE_X = {"min": 0, "p50": 50, "p90": 90, "p95": 95, "p97": 97, "p99": 99, "p99.9": 99.9, "max": 100}


def render_charts(report: t.Mapping[str, t.Any]) -> list[dict[str, str]]:
    """Every chart the report's data supports, as [{id, title, svg}]."""
    if matplotlib is None:
        raise RuntimeError("the HTML report needs matplotlib on the controller: pip install -r requirements/controller.txt")
    matplotlib.rcParams["svg.hashsalt"] = "fleetbench"
    charts = []
    for index, group in enumerate(report.get("groups") or []):
        charts.append(_chart(f"throughput-{index}", f"{group['scenario']}: {group['metric']} per host, with the noise band",
                             _throughput, group))
    for key, name in (("ttft_ns", "time to first token"), ("tpot_ns", "time per output token")):
        rows = [r for r in report.get("rows") or [] if r.get(key) and r.get("result") != "ERROR"]
        if rows:
            charts.append(_chart(f"{key}", f"{name} (ms): p50 / p90 / p99 per run", _percentile_bars, rows, key))
    rows = [r for r in report.get("rows") or [] if len(r.get("latency_ns") or {}) >= 3 and r.get("result") != "ERROR"]
    if rows:
        charts.append(_chart("latency-distribution", "per-sample latency distribution (percentiles from the LoadGen log)",
                             _latency_curve, rows))
    comparison = report.get("comparison")
    if comparison and any(r["before"] and r["after"] for r in comparison.get("rows", [])):
        charts.append(_chart("before-after", "before / after per host", _before_after, comparison))
    return charts


def _chart(chart_id: str, title: str, draw: t.Callable[..., None], *args: t.Any) -> dict[str, str]:
    figure = Figure(figsize=(8, 3.6), dpi=96)
    axes = figure.add_subplot()
    draw(axes, *args)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    pyplot.close("all")
    return {"id": chart_id, "title": title, "svg": svg[svg.index("<svg"):]}


def _run_label(row: t.Mapping[str, t.Any]) -> str:
    label = f"{row['host']}\n{row['scenario']}"
    return label if row.get("repeat") is None else f"{label} #{row['repeat']}"


def _throughput(axes, group: t.Mapping[str, t.Any]) -> None:
    hosts = group["hosts"]
    names = [h["host"] for h in hosts]
    medians = [h["median"] for h in hosts]
    low = [h["median"] - min(h["values"]) for h in hosts]
    high = [max(h["values"]) - h["median"] for h in hosts]
    colours = ["#c0392b" if h["verdict"] == "slower" else "#27ae60" if h["verdict"] == "faster" else "#2e86c1" for h in hosts]
    axes.bar(names, medians, color=colours, yerr=[low, high], capsize=4)
    median = group["fleet_median"]
    band = max(h["band_pct"] for h in hosts) / 100
    axes.axhspan(median * (1 - band), median * (1 + band), color="#f5b041", alpha=0.3, label=f"noise band ±{band * 100:.1f}%")
    axes.axhline(median, color="#7d6608", linewidth=1, label="fleet median")
    axes.set_ylabel(group["unit"])
    axes.legend(loc="lower right", fontsize=8)


def _percentile_bars(axes, rows: list[t.Mapping[str, t.Any]], key: str) -> None:
    width = 0.27
    positions = range(len(rows))
    for offset, percentile in enumerate(("p50", "p90", "p99")):
        values = [(r[key].get(percentile) or 0) / NS_PER_MS for r in rows]
        axes.bar([p + (offset - 1) * width for p in positions], values, width, label=percentile)
    axes.set_xticks(list(positions), [_run_label(r) for r in rows], fontsize=7)
    axes.set_ylabel("ms")
    axes.legend(fontsize=8)


def _latency_curve(axes, rows: list[t.Mapping[str, t.Any]]) -> None:
    for row in rows:
        latency = row["latency_ns"]
        points = [(_PERCENTILE_X[k], latency[k] / NS_PER_MS) for k in _PERCENTILE_ORDER if latency.get(k) is not None]
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=_run_label(row).replace("\n", " "))
    axes.set_xlabel("percentile of samples")
    axes.set_ylabel("latency (ms)")
    axes.legend(fontsize=7)


def _before_after(axes, comparison: t.Mapping[str, t.Any]) -> None:
    rows = [r for r in comparison["rows"] if r["before"] and r["after"]]
    positions = range(len(rows))
    axes.bar([p - 0.2 for p in positions], [r["before"]["median"] for r in rows], 0.4, label="baseline", color="#95a5a6")
    axes.bar([p + 0.2 for p in positions], [r["after"]["median"] for r in rows], 0.4, label="this run",
             color=["#c0392b" if r["regressed"] else "#2e86c1" for r in rows])
    axes.set_xticks(list(positions), [f"{r['host']}\n{r['scenario']}" for r in rows], fontsize=7)
    axes.set_ylabel(rows[0]["unit"])
    axes.legend(fontsize=8)
