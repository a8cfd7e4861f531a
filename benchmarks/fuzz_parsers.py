"""fuzz: damaged copies of real outputs through every parser; nothing may escape or stall.

Seeds: the LoadGen logs and nvidia-smi outputs of ../shared/corpus (when present, read in
place), LoadGen runs made here by the real mlcommons-loadgen (tests/tools/make_loadgen_run.py),
and the stand-in nvidia-smi's XML, CSV and table. Each input is a seed damaged one to three
times (benchmarks/fuzzing/mutations.py). Counts per target: inputs, clean refusals (the parser's
own one-line error), uncaught exceptions, inputs over 1 s of CPU time, the slowest input.
Writes BENCHMARKS.md's fuzz section. Goal: 0 uncaught, 0 over 1 s.

    python benchmarks/fuzz_parsers.py [--inputs 10000] [--seed 0] [--no-write]
"""
from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "collections"), str(REPO)]

from benchmarks import machine, sections  # noqa: E402
from benchmarks.fuzzing import campaign, targets  # noqa: E402

SECTION_START = "<!-- fuzz:start -->"
SECTION_END = "<!-- fuzz:end -->"
CORPUS = pathlib.Path(os.environ.get("FLEETBENCH_CORPUS", REPO.parent / "shared" / "corpus"))


def make_loadgen_runs(root: pathlib.Path) -> list[pathlib.Path]:
    from tests.pytest_plugins.loadgen_fixtures import LOADGEN_RUNS, make_loadgen_runs as make_runs
    return list(make_runs(LOADGEN_RUNS, root).values())


def section(tallies: list[campaign.Tally], inputs: int, seed: int, seeds: dict[str, int]) -> str:
    rows = [
        f"| {t.target} | {seeds[t.target]} | {t.inputs:,} | {t.refused:,} | {t.uncaught_count} | {t.slow} "
        f"| {t.hangs} | {t.slowest_s:.3f} | {t.wall_s:.0f} |"
        for t in tallies
    ]
    escapes = [f"- {t.target}: {where} ({example})" for t in tallies for where, example in t.uncaught.items()]
    total = campaign.summary_counts(tallies)
    verdict = "meets" if not total["uncaught"] and not total["slow"] else "misses"
    return "\n".join([
        SECTION_START,
        "## fuzz: every parser against damaged real outputs",
        "",
        f"Command: `make fuzz` (runs `python benchmarks/fuzz_parsers.py --inputs {inputs} --seed {seed}`)",
        "",
        f"Machine: {machine.summary()}",
        "",
        "Seeds: the shared corpus's LoadGen logs and nvidia-smi outputs, LoadGen runs made by the real"
        " mlcommons-loadgen in this run, the stand-in nvidia-smi's XML, CSV and table. Each input is a seed"
        " cut off, bit-flipped, with chunks deleted or repeated, numbers of 20-20,000 digits, NaN, infinities,"
        " JSON values of another type, non-UTF-8 bytes, lone carriage returns, lines up to 300,000 characters,"
        " nesting up to 200,000 deep (one to three of these).",
        "",
        "| target | seeds | inputs | clean refusals | uncaught | over 1 s | stopped at 20 s | slowest (s, CPU) | wall (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"Goal 0 uncaught, 0 over 1 s: {verdict} ({total['uncaught']} uncaught, {total['slow']} over 1 s).",
        *(["", "Uncaught, first of each kind:", *escapes] if escapes else []),
        "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. Times are each parse's CPU time"
        " (the machine is shared); a clean refusal is the parser's own one-line error (GpuOutputError, LoadGenDirError).",
        SECTION_END,
    ])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10000, help="inputs per target")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    corpus = CORPUS if CORPUS.is_dir() else None
    tallies = []
    with tempfile.TemporaryDirectory(prefix="fleetbench-fuzz-") as folder:
        work = pathlib.Path(folder)
        runs = make_loadgen_runs(work / "runs")
        (work / "inputs").mkdir()
        found = targets.all_targets(corpus, runs, work / "inputs")
        for target in found:
            tally = campaign.run(target, args.inputs, args.seed)
            print(f"{tally.target}: {tally.inputs} inputs, {tally.refused} refused, {tally.uncaught_count} uncaught, "
                  f"{tally.slow} over 1 s, {tally.hangs} stopped, slowest {tally.slowest_s:.3f} s ({tally.slowest}), {tally.wall_s:.0f} s", flush=True)
            for where, example in tally.uncaught.items():
                print(f"    {where}: {example}", flush=True)
            tallies.append(tally)
    text = section(tallies, args.inputs, args.seed, {t.name: len(t.seeds) for t in found})
    if not args.no_write:
        sections.write_section(REPO / "BENCHMARKS.md", text, SECTION_START, SECTION_END)
    total = campaign.summary_counts(tallies)
    return 1 if total["uncaught"] or total["slow"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
