"""bench-telemetry: does the telemetry sampler move the throughput it watches?

The harness runs the same quick Offline test on this machine with telemetry on (1 s) and off,
in ABBA order per round so a slow drift of the machine falls on both arms alike. Reported: the
median tokens/s of each arm, the paired difference (mean of per-round log ratios) with its 95%
t interval, the within-arm spread, and the sampler's own CPU time from telemetry.json.
Goals: no difference beyond the noise (the interval holds 0); sampler
CPU under 1% of one core at 1 s.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "collections"), str(REPO)]

from scipy import stats  # noqa: E402

from benchmarks import machine, sections  # noqa: E402

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir  # noqa: E402

SECTION_START = "<!-- bench-telemetry:start -->"
SECTION_END = "<!-- bench-telemetry:end -->"
PYTHON = os.environ.get("FLEETBENCH_VLLM_PYTHON", str(REPO / ".venv-vllm" / "bin" / "python"))
MODEL, DATASET = REPO / ".cache" / "tiny-llama", REPO / ".cache" / "tiny-dataset-64.json"
CPU_GOAL_PCT = 1.0


def one_run(output: pathlib.Path, interval_s: float, dataset: pathlib.Path = DATASET) -> dict:
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
    command = [PYTHON, "-m", "fleetbench_harness", "run", "--scenario", "Offline", "--mode", "performance",
               "--model", str(MODEL), "--dataset", str(dataset), "--profile", "quick", "--output", str(output),
               "--engine-arg", "max_model_len=2048", "--engine-arg", "enforce_eager=true",
               "--telemetry-interval", str(interval_s)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench-telemetry: harness run failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    record = parse_result_dir(str(output))
    run = {"tokens_per_second": record.tokens_per_second, "load1": os.getloadavg()[0]}
    telemetry = output / "telemetry.json"
    if telemetry.is_file():
        timeline = json.loads(telemetry.read_text())
        run["sampler_cpu_pct"] = 100 * timeline["sampler_cpu_s"] / max(timeline["duration_s"], 1e-9)
        run["samples"] = len(timeline["samples"])
    return run


def measure(rounds: int, interval_s: float, scratch: pathlib.Path, dataset: pathlib.Path) -> list[dict]:
    pairs = []
    for number in range(rounds):
        order = ("on", "off") if number % 2 == 0 else ("off", "on")
        pair = {}
        for arm in order:
            pair[arm] = one_run(scratch / f"{number}-{arm}", interval_s if arm == "on" else 0, dataset)
            print(f"round {number + 1}/{rounds} {arm}: {pair[arm]['tokens_per_second']:.0f} tokens/s", flush=True)
        pairs.append(pair)
    return pairs


def summarise(pairs: list[dict]) -> dict:
    ratios = [math.log(p["on"]["tokens_per_second"] / p["off"]["tokens_per_second"]) for p in pairs]
    mean = statistics.fmean(ratios)
    half = stats.t.ppf(0.975, len(ratios) - 1) * statistics.stdev(ratios) / math.sqrt(len(ratios)) if len(ratios) > 1 else math.inf
    arm = {name: [p[name]["tokens_per_second"] for p in pairs] for name in ("on", "off")}
    cpu = [p["on"]["sampler_cpu_pct"] for p in pairs if "sampler_cpu_pct" in p["on"]]
    loads = [p[name]["load1"] for p in pairs for name in ("on", "off")]
    return {"median_on": statistics.median(arm["on"]), "median_off": statistics.median(arm["off"]),
            "rsd_on": statistics.stdev(arm["on"]) / statistics.fmean(arm["on"]) if len(pairs) > 1 else 0.0,
            "rsd_off": statistics.stdev(arm["off"]) / statistics.fmean(arm["off"]) if len(pairs) > 1 else 0.0,
            "difference_pct": 100 * (math.exp(mean) - 1),
            "ci_low_pct": 100 * (math.exp(mean - half) - 1), "ci_high_pct": 100 * (math.exp(mean + half) - 1),
            "cpu_max_pct": max(cpu) if cpu else None, "cpu_median_pct": statistics.median(cpu) if cpu else None,
            "load_min": min(loads), "load_max": max(loads), "rounds": len(pairs)}


def section(numbers: dict, interval_s: float) -> str:
    within = numbers["ci_low_pct"] <= 0 <= numbers["ci_high_pct"]
    cpu_ok = numbers["cpu_max_pct"] is not None and numbers["cpu_max_pct"] < CPU_GOAL_PCT
    return "\n".join([
        SECTION_START,
        "## bench-telemetry: does the sampler move the numbers?",
        "",
        "Command: `make bench-telemetry` (runs `python benchmarks/bench_telemetry.py`)",
        "",
        f"Machine: {machine.summary()}; 1-minute load average during the runs {numbers['load_min']:.1f}-{numbers['load_max']:.1f}.",
        "",
        f"Workload: the harness, quick profile, Offline, tiny local model, {numbers['rounds']} rounds of one run with "
        f"telemetry every {interval_s:g} s and one without, in ABBA order.",
        "",
        "| measure | telemetry on | telemetry off |",
        "| --- | --- | --- |",
        f"| median tokens/s | {numbers['median_on']:,.0f} | {numbers['median_off']:,.0f} |",
        f"| spread between runs (RSD) | {100 * numbers['rsd_on']:.1f}% | {100 * numbers['rsd_off']:.1f}% |",
        "",
        f"Paired difference on/off: {numbers['difference_pct']:+.1f}% (95% t interval {numbers['ci_low_pct']:+.1f}% to "
        f"{numbers['ci_high_pct']:+.1f}%): {'no difference beyond the noise' if within else 'a DIFFERENCE beyond the noise'} "
        f"(goal: the interval holds 0).",
        "",
        f"Sampler CPU time (from telemetry.json): median {numbers['cpu_median_pct']:.3f}%, at most "
        f"{numbers['cpu_max_pct']:.3f}% of one core (goal under {CPU_GOAL_PCT:g}%: {'meets' if cpu_ok else 'MISSES'}).",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        SECTION_END,
    ])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--dataset", type=pathlib.Path, default=DATASET)
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        numbers = summarise(measure(args.rounds, args.interval, pathlib.Path(scratch), args.dataset))
    text = section(numbers, args.interval)
    print(text)
    if not args.no_write:
        sections.write_section(REPO / "BENCHMARKS.md", text, SECTION_START, SECTION_END)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
