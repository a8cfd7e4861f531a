"""How long the fleet report takes for a large fleet, and where the time goes.

Builds a results document for N hosts x 2 scenarios x R repeats from real corpus runs (the
project's parser on ../shared/corpus/loadgen; hosts get changed throughput and drivers), then
times report_data (statistics, explanations, A/B against a baseline), Markdown, HTML (charts
included) and JSON, median of several runs each; then simulates fleets to tabulate how often the
host-vs-fleet test detects a slow host, by repeats. Writes the numbers to BENCHMARKS.md's
bench-report section.
"""
from __future__ import annotations

import argparse
import copy
import math
import pathlib
import random
import statistics
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "collections"), str(REPO)]

from benchmarks import machine  # noqa: E402
from benchmarks.report_simulation import detection_rate, false_alarm_rate  # noqa: E402
from benchmarks.sections import write_section  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen_parser import parse_result_dir  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.module_utils.report_document import report_data  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.module_utils.report_stats import NoiseSettings  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.module_utils.report_host_stats import (  # noqa: E402
    HostNoise,
    minimum_detectable,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.report_render import (  # noqa: E402
    render_html,
    render_json,
    render_markdown,
)

CORPUS = REPO.parent / "shared" / "corpus" / "loadgen"
RUNS = ("NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Offline", "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Server")
SECTION_START, SECTION_END = "<!-- bench-report:start -->", "<!-- bench-report:end -->"


def fleet_document(hosts: int, repeats: int, run_id: str, seed: int) -> dict:
    rng = random.Random(seed)
    parsed = [parse_result_dir(str(CORPUS / name)).to_dict() for name in RUNS]
    records, facts = [], {}
    for index in range(hosts):
        host = f"gpu-{index:03d}"
        old_driver = index % 10 == 0
        facts[host] = {"gpu": {"driver_version": "535.247.01" if old_driver else "570.133.07",
                               "cuda_driver_version": "12.2" if old_driver else "12.8",
                               "gpus": [{"name": "NVIDIA H100 80GB HBM3", "power_limit_enforced_w": 700.0}] * 8}}
        for base in parsed:
            for repeat in range(1, repeats + 1):
                record = copy.deepcopy(base)
                scale = (0.58 if old_driver else 1.0) * rng.gauss(1.0, 0.01)
                record["headline"]["value"] *= scale
                record["tokens_per_second"] *= scale
                record.update(host=host, run_id=run_id, repeat=repeat)
                records.append(record)
    return {"schema_version": 1, "run_id": run_id, "records": records, "hosts": facts}


def timed(function, *args, runs: int, **kwargs) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.process_time()
        result = function(*args, **kwargs)
        times.append(time.process_time() - start)
    return statistics.median(times), result


def measure(hosts: int, repeats: int, runs: int) -> list[tuple[str, float, str]]:
    current, baseline = fleet_document(hosts, repeats, "after", 1), fleet_document(hosts, repeats, "before", 2)
    data_s, report = timed(report_data, current, baseline=baseline, tolerance_pct=5, runs=runs)
    md_s, markdown = timed(render_markdown, report, runs=runs)
    html_s, html = timed(render_html, report, runs=runs)
    json_s, text = timed(render_json, report, runs=runs)
    return [
        ("statistics, explanations, A/B (`report_data`)", data_s, ""),
        ("Markdown", md_s, f"{len(markdown) / 1e3:,.0f} kB"),
        (f"HTML with {html.count('<figure')} inline SVG charts", html_s, f"{len(html) / 1e6:,.1f} MB"),
        ("JSON", json_s, f"{len(text) / 1e6:,.1f} MB"),
        ("total", data_s + md_s + html_s + json_s, ""),
    ]


SLOWDOWNS = (0.10, 0.20, 0.50, 0.75)
SIMULATED_REPEATS = (2, 3, 5)
# (hosts, run-to-run noise, confidence): a fleet on an ordinary day, and the e2e incident's set-up.
SIMULATED_FLEETS = ((8, 0.05, 0.95), (3, 0.10, 0.99))


def simulation_table(hosts: int, noise: float, confidence: float, fleets: int) -> list[str]:
    """Detection rate of one slow host by slowdown and repeats, beside the false-alarm rate and
    the minimum detectable difference the report would state for that design."""
    settings = NoiseSettings(confidence=confidence)
    header = " | ".join(f"{s:.0%} slower" for s in SLOWDOWNS)
    lines = [f"{hosts} hosts, run-to-run noise {noise:.0%} (log-normal), confidence {confidence:.0%}, "
             f"{fleets} simulated fleets per cell:", "",
             f"| repeats | {header} | any unchanged host flagged | stated minimum detectable (80% power) |",
             "| ---: |" + " ---: |" * (len(SLOWDOWNS) + 2)]
    for repeats in SIMULATED_REPEATS:
        seed = hosts * 100 + repeats
        rates = [detection_rate(hosts, repeats, noise, s, settings, fleets, seed) for s in SLOWDOWNS]
        alarms = false_alarm_rate(hosts, repeats, noise, settings, fleets, seed)
        stated = minimum_detectable(HostNoise(noise ** 2, hosts * (repeats - 1), {}, ()), settings, repeats, hosts)
        cells = " | ".join(f"{r:.1%}" for r in rates)
        lines.append(f"| {repeats} | {cells} | {alarms:.1%} (stated at most {1 - confidence:.0%}) | "
                     f"{-math.expm1(-stated):.0%} slower |")
    return lines


def section(hosts: int, repeats: int, runs: int, rows: list[tuple[str, float, str]], simulations: list[str]) -> str:
    lines = [
        SECTION_START,
        "## bench-report: rendering the fleet report",
        "",
        "Command: `make bench-report` (runs `python benchmarks/bench_report.py`)",
        "",
        f"Machine: {machine.summary()}",
        "",
        f"Input: {hosts} hosts x 2 scenarios (Offline, Server) x {repeats} repeats = {hosts * 2 * repeats} records, "
        "built from real corpus runs parsed by the project's parser; every tenth host on an older driver and 42% slower; "
        "compared with a baseline run of the same size.",
        "",
        f"| step (median of {runs}, CPU time) | seconds | output |",
        "| --- | ---: | --- |",
        *[f"| {name} | {seconds:.2f} | {size} |" for name, seconds, size in rows],
        "",
        "### Choosing repeats: detection and false alarms of the host-vs-fleet test",
        "",
        "Seeded simulations (benchmarks/report_simulation.py) of fleets with one host slower by the given share, judged "
        "by the report's own statistics (log throughput, robust pooled noise, Holm over the hosts). A cell is the share "
        "of fleets in which that host was flagged slower.",
        "",
        *simulations,
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        SECTION_END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fleets", type=int, default=1000, help="simulated fleets per cell of the repeats table")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"bench-report: the corpus is not at {CORPUS}")
    simulations: list[str] = []
    for hosts, noise, confidence in SIMULATED_FLEETS:
        simulations += [*simulation_table(hosts, noise, confidence, args.fleets), ""]
    text = section(args.hosts, args.repeats, args.runs, measure(args.hosts, args.repeats, args.runs), simulations[:-1])
    print(text)
    if not args.no_write:
        write_section(REPO / "BENCHMARKS.md", text, SECTION_START, SECTION_END)


if __name__ == "__main__":
    main()
