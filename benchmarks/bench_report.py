"""How long the fleet report takes for a large fleet, what it weighs, and against which code.

Times report_data (statistics, explanations, A/B against a baseline run), Markdown, HTML
(charts included) and JSON for N hosts x 2 scenarios x R repeats built from real corpus runs
(benchmarks/report_timing.py, in a subprocess), median of several runs each; with --before REF,
times the code of that git ref the same way on the same input, side by side. Then simulates
fleets to tabulate how often the host-vs-fleet test detects a slow host, by repeats. Writes the
numbers to BENCHMARKS.md's bench-report section.
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "collections"), str(REPO)]

from benchmarks import machine  # noqa: E402
from benchmarks.report_simulation import detection_rate, false_alarm_rate  # noqa: E402
from benchmarks.report_timing import CORPUS  # noqa: E402
from benchmarks.sections import write_section  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import NoiseSettings  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_stats import (  # noqa: E402
    HostNoise,
    minimum_detectable,
)

SECTION_START, SECTION_END = "<!-- bench-report:start -->", "<!-- bench-report:end -->"
# The goals for a 1,000-host report: a browser opens it comfortably, a CI step renders it quickly.
GOAL_SECONDS, GOAL_HTML_BYTES = 30, 5_000_000


def timings(code: pathlib.Path, hosts: int, repeats: int, runs: int) -> list[dict]:
    """report_timing.py's steps for the code tree at `code`, timed in a fresh interpreter."""
    command = [sys.executable, str(REPO / "benchmarks" / "report_timing.py"), "--code", str(code),
               "--hosts", str(hosts), "--repeats", str(repeats), "--runs", str(runs)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO).stdout
    return json.loads(output.strip().splitlines()[-1])


def timings_of_ref(ref: str, hosts: int, repeats: int, runs: int) -> list[dict]:
    """The same timings for the code of git ref `ref`, unpacked beside nothing else in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
        archive = subprocess.run(["git", "archive", ref], check=True, capture_output=True, cwd=REPO).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        return timings(pathlib.Path(folder), hosts, repeats, runs)


def _size(step: dict | None) -> str:
    if not step or step["bytes"] is None:
        return ""
    return f"{step['bytes'] / 1e3:,.0f} kB" if step["bytes"] < 1e6 else f"{step['bytes'] / 1e6:,.1f} MB"


def timing_table(after: list[dict], before: list[dict] | None, ref: str | None, runs: int, before_runs: int) -> list[str]:
    if before is None:
        lines = [f"| step (median of {runs}, CPU time unless said) | seconds | output |", "| --- | ---: | --- |"]
        return lines + [f"| {a['step']} | {a['seconds']:.2f} | {_size(a)} |" for a in after]
    lines = [f"| step (CPU time unless said) | before: `{ref}`, median of {before_runs} | after: this checkout, median of {runs} "
             "| output before | output after |", "| --- | ---: | ---: | --- | --- |"]
    for b, a in zip(before, after):
        lines.append(f"| {a['step']} | {b['seconds']:.2f} s | {a['seconds']:.2f} s | {_size(b)} | {_size(a)} |")
    return lines


def goal_line(after: list[dict], hosts: int) -> str:
    steps = {a["step"]: a for a in after}
    wall, html = steps["total, wall clock"]["seconds"], steps["HTML"]["bytes"]
    met = wall < GOAL_SECONDS and html < GOAL_HTML_BYTES
    verdict = ("met" if met else "NOT met") if hosts >= 1000 else "not judged (measure with --hosts 1000)"
    return (f"Goal: under {GOAL_SECONDS} s and under {GOAL_HTML_BYTES / 1e6:g} MB of HTML at 1,000 hosts. "
            f"This checkout at {hosts} hosts: {wall:.1f} s wall clock, {html / 1e6:.1f} MB: {verdict}.")


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


def section(hosts: int, repeats: int, table: list[str], goal: str, simulations: list[str]) -> str:
    lines = [
        SECTION_START,
        "## bench-report: rendering the fleet report",
        "",
        "Command: `make bench-report BEFORE=<git ref>` (runs `python benchmarks/bench_report.py --before <git ref>`; "
        "without BEFORE, this checkout alone)",
        "",
        f"Machine: {machine.summary()}",
        "",
        f"Input: {hosts} hosts x 2 scenarios (Offline, Server) x {repeats} repeats = {hosts * 2 * repeats} records, "
        "built from real corpus runs parsed by the project's parser; every tenth host on an older driver and 42% slower; "
        "compared with a baseline run of the same size (A/B). Above `fleetbench_report_summarise_above_hosts` (50) the "
        "report shows distributions and the hosts outside the band; before this, a bar and a row per host.",
        "",
        *table,
        "",
        "CPU time is the process's own, median of the runs; wall clock is the whole report per run, including time spent "
        "waiting for the machine's shared CPUs, so it varies more from run to run.",
        "",
        goal,
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
    # No newline after the end marker: the text after the section keeps its own, so a rerun adds no blank line.
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", metavar="REF", help="also time the report code of this git ref (A/B of the code)")
    parser.add_argument("--before-runs", type=int, default=1, help="runs of the --before code (it may be slow)")
    parser.add_argument("--fleets", type=int, default=1000, help="simulated fleets per cell of the repeats table")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"bench-report: the corpus is not at {CORPUS}")
    before = timings_of_ref(args.before, args.hosts, args.repeats, args.before_runs) if args.before else None
    after = timings(REPO, args.hosts, args.repeats, args.runs)
    simulations: list[str] = []
    for hosts, noise, confidence in SIMULATED_FLEETS:
        simulations += [*simulation_table(hosts, noise, confidence, args.fleets), ""]
    table = timing_table(after, before, args.before, args.runs, args.before_runs)
    text = section(args.hosts, args.repeats, table, goal_line(after, args.hosts), simulations[:-1])
    print(text)
    if not args.no_write:
        write_section(REPO / "BENCHMARKS.md", text, SECTION_START, SECTION_END)


if __name__ == "__main__":
    main()
