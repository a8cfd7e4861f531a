"""`make bench-min-tokens`: what the harness's `min_tokens=2` costs, measured on plain LLM.generate.

The harness asks vLLM for at least two new tokens per prompt (LoadGen counts a 0- or 1-token
answer as an error in its token-latency scenarios); plain LLM.generate, the baseline of
`make bench-harness`, does not. Here LLM.generate runs over the same prompts and engine settings
with and without it, alternating the order in each round so that drifting load falls on both
alike, and the section compares medians and per-round ratios. Writes its section of BENCHMARKS.md.

Run from the repository root: `python -m benchmarks.bench_min_tokens` (PYTHONPATH=collections)."""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import statistics
import sys
import time

from benchmarks import machine
from benchmarks.bench_harness import (DATASET_SAMPLES, HARNESS_ENGINE_ARGS, REPO, BenchError, add_workload_args,
                                      make_workload)
from benchmarks.harness_bench.contenders import PLAIN, RunCounter, RunResult, Setup, run_plain
from benchmarks.sections import write_section

START, END = "<!-- bench-min-tokens:start -->", "<!-- bench-min-tokens:end -->"
# fleetbench_harness.engine.MIN_OUTPUT_TOKENS
HARNESS_MIN_TOKENS = 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each one run with and one without")
    parser.add_argument("--samples", type=int, default=1024)
    add_workload_args(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(args.kv_cache_gib))
    try:
        if not args.vllm_python.exists():
            raise BenchError(f"no vLLM venv python at {args.vllm_python}: run `make setup-harness`")
        model, dataset = make_workload(args.vllm_python, REPO / "harness" / "src", args.work_dir, DATASET_SAMPLES)
    except BenchError as error:
        print(f"bench-min-tokens: {error}", file=sys.stderr)
        return 2
    started = time.monotonic()
    started_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    runs_dir = args.work_dir / "runs" / ("min-tokens-" + started_at.replace(" ", "T").replace(":", ""))
    setup = Setup(args.vllm_python, REPO / "harness" / "src", None, model, dataset, runs_dir, dict(HARNESS_ENGINE_ARGS))
    counter = RunCounter()
    runs: list[tuple[int, RunResult]] = []
    for number in range(args.rounds):
        order = (0, HARNESS_MIN_TOKENS) if number % 2 == 0 else (HARNESS_MIN_TOKENS, 0)
        for min_tokens in order:
            result = run_plain(setup, counter.next_dir(setup, PLAIN, f"Offline-min{min_tokens}"), args.samples, min_tokens)
            announce(number + 1, min_tokens, result)
            runs.append((number + 1, result))
    section = render(runs, args, started_at, (time.monotonic() - started) / 60)
    write_section(args.benchmarks_md, section, START, END)
    (runs_dir / "results.json").write_text(json.dumps([{"round": n, "min_tokens": r.settings["min_tokens"],
                                                         "tokens_per_second": r.tokens_per_second, "error": r.error,
                                                         "load_before": r.load_before, "tokens": tokens_made(r)}
                                                        for n, r in runs], indent=2), encoding="utf-8")
    print(f"bench-min-tokens: section written to {args.benchmarks_md}; runs kept in {runs_dir}")
    return 0


def tokens_made(result: RunResult) -> int | None:
    try:
        return json.loads((pathlib.Path(result.output_dir) / "plain_generate.json").read_text())["tokens"]
    except (OSError, ValueError, KeyError):
        return None


def announce(number: int, min_tokens: int, result: RunResult) -> None:
    value = f"{result.tokens_per_second:,.0f} tokens/s" if result.ok else f"FAILED: {result.error}"
    print(f"[{time.strftime('%H:%M:%S')}] round {number} min_tokens={min_tokens or 'unset'} {value} "
          f"({result.wall_s:.0f} s, load {result.load_before:.1f})", flush=True)


def render(runs: list[tuple[int, RunResult]], args: argparse.Namespace, started_at: str, minutes: float) -> str:
    def label(min_tokens: int) -> str:
        return f"min_tokens={min_tokens}" if min_tokens else "min_tokens unset (vLLM's default)"

    by_setting = {m: [r for _, r in runs if r.settings["min_tokens"] == m] for m in (0, HARNESS_MIN_TOKENS)}
    medians = {m: statistics.median([r.tokens_per_second for r in rs if r.ok]) if any(r.ok for r in rs) else None
               for m, rs in by_setting.items()}
    ratios = []
    for number in sorted({n for n, _ in runs}):
        pair = {r.settings["min_tokens"]: r for n, r in runs if n == number}
        if all(pair.get(m) and pair[m].ok for m in (0, HARNESS_MIN_TOKENS)):
            ratios.append(round(pair[HARNESS_MIN_TOKENS].tokens_per_second / pair[0].tokens_per_second, 3))
    median_ratio = round(medians[HARNESS_MIN_TOKENS] / medians[0], 3) if all(medians.values()) else None
    lines = [START, "## make bench-min-tokens: what the harness's min_tokens=2 costs", "",
             f"Command: `make bench-min-tokens`; run {started_at} UTC, {minutes:.0f} min in all.", "",
             f"Machine: {machine.summary()}.", "",
             f"Workload: plain `LLM.generate` over the first {args.samples} prompts of `make bench-harness`'s "
             f"dataset ({setup_text(args)}), greedy, at most 128 new tokens, engine arguments "
             f"{json.dumps(HARNESS_ENGINE_ARGS)}, with and without `min_tokens={HARNESS_MIN_TOKENS}` (the harness "
             "always sets it). Each round runs both, in alternating order. Tokens/s is the generate() call after "
             "a two-prompt warm-up.", "",
             "| setting | tokens/s, each run (round, load) | tokens made | median |", "| --- | --- | ---: | ---: |"]
    for m, results in by_setting.items():
        cells = ", ".join(f"{r.tokens_per_second:,.0f} (r{n}, load {r.load_before:.1f})" if r.ok else f"failed (r{n})"
                          for n, r in runs if r in results)
        made = sorted({tokens_made(r) for r in results if r.ok} - {None})
        lines.append(f"| {label(m)} | {cells} | {', '.join(f'{t:,}' for t in made) or 'n/a'} | "
                     f"{medians[m]:,.0f} |" if medians[m] else f"| {label(m)} | {cells} | n/a | n/a |")
    lines += ["", f"Median with / without: {median_ratio if median_ratio is not None else 'n/a'}; "
                  f"per round: {', '.join(f'{r:.3f}' for r in ratios) or 'n/a'}.", END]
    return "\n".join(lines)


def setup_text(args: argparse.Namespace) -> str:
    return f"VLLM_CPU_KVCACHE_SPACE={os.environ['VLLM_CPU_KVCACHE_SPACE']} GiB, tiny model in {args.work_dir.name}/"


if __name__ == "__main__":
    sys.exit(main())
