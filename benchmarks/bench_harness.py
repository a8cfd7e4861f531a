"""`make bench-harness`: the harness's speed beside plain LLM.generate and the MLCommons reference,
measured back to back on this machine; writes its section of BENCHMARKS.md.

Run from the repository root: `python -m benchmarks.bench_harness` (PYTHONPATH=collections)."""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

from benchmarks import machine
from benchmarks.harness_bench import benchmarks_md
from benchmarks.harness_bench.cache_effect import measure_cache_effect
from benchmarks.harness_bench.contenders import HARNESS, REFERENCE, RunCounter, RunResult, Setup
from benchmarks.harness_bench.offline_rounds import compare_offline
from benchmarks.harness_bench.server_search import (CONFIRM_LADDER, CONFIRM_MIN_QUERIES, DISTINCT_MARGIN, PROBE_DURATION_CAP, PROBE_MIN_DURATION_MS,
                                                    SEARCH_TOLERANCE, search_server)

REPO = pathlib.Path(__file__).resolve().parents[1]
PREPARE_REFERENCE = REPO / "benchmarks" / "prepare_reference.sh"
# Server searches start well below the Offline rate and double: probes under the limit are cheap,
# overloaded ones drain at the contender's own pace.
SERVER_START_DIVISOR = 2
# fleetbench_harness.engine_args.DEFAULT_ENGINE_ARGS; every contender also gets the prefix cache
# setting explicitly (Setup.prefix_cache), the reference through prepare_reference.sh's patch.
HARNESS_ENGINE_ARGS = {"disable_log_stats": True, "enable_prefix_caching": False}
# Enough distinct prompts that Server runs issue each once; bench-min-tokens reuses the same file.
DATASET_SAMPLES = 4096


class BenchError(Exception):
    """Something the benchmark needs is missing: one line, no traceback."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="Offline rounds (each runs all three)")
    parser.add_argument("--offline-samples", type=int, default=1024)
    parser.add_argument("--dataset-samples", type=int, default=DATASET_SAMPLES,
                        help="samples made, so Server runs can issue each prompt once (at least --offline-samples)")
    parser.add_argument("--server-max-probes", type=int, default=7, help="probes per Server search")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-cache-runs", action="store_true", help="no runs with the prefix cache on")
    add_workload_args(parser)
    return parser.parse_args(argv)


def add_workload_args(parser: argparse.ArgumentParser) -> None:
    """Where the vLLM venv, the tiny model and dataset (made once, shared with bench-min-tokens) and
    BENCHMARKS.md are."""
    parser.add_argument("--kv-cache-gib", type=int, default=4, help="VLLM_CPU_KVCACHE_SPACE unless already set")
    parser.add_argument("--work-dir", type=pathlib.Path, default=REPO / ".cache" / "bench-harness")
    parser.add_argument("--benchmarks-md", type=pathlib.Path, default=REPO / "BENCHMARKS.md")
    parser.add_argument("--vllm-python", type=pathlib.Path,
                        default=pathlib.Path(os.environ.get("FLEETBENCH_VLLM_PYTHON", REPO / ".venv-vllm/bin/python")))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except BenchError as error:
        print(f"bench-harness: {error}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    started_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(args.kv_cache_gib))
    if not args.vllm_python.exists():
        raise BenchError(f"no vLLM venv python at {args.vllm_python}: run `make setup-harness`")
    harness_src = REPO / "harness" / "src"
    dataset_samples = max(args.dataset_samples, args.offline_samples)
    model, dataset = make_workload(args.vllm_python, harness_src, args.work_dir, dataset_samples)
    reference_dir, reference_text = prepare_reference(args.vllm_python, args.work_dir)
    runs_dir = args.work_dir / "runs" / started_at.replace(" ", "T").replace(":", "")
    setup = Setup(args.vllm_python, harness_src, reference_dir, model, dataset, runs_dir, dict(HARNESS_ENGINE_ARGS),
                  dataset_samples)
    runs_dir.mkdir(parents=True, exist_ok=True)
    counter = RunCounter()

    context = {
        "command": "make bench-harness", "started": started_at, "rounds": args.rounds,
        "machine": machine.describe_machine(), "versions": machine.harness_versions(args.vllm_python, harness_src),
        "reference": reference_text, "workload": workload_text(model, dataset, setup, args.offline_samples),
        "server_method": server_method_text(args.server_max_probes, dataset_samples),
    }

    def publish(offline, server: dict, finished: bool, cache=None) -> str:
        """Written after each phase, so a run stopped early still leaves what it measured, labelled."""
        context["minutes"] = (time.monotonic() - started) / 60
        context["notes"] = [] if finished else [
            f"**Partial**: written after {context['minutes']:.0f} min, before the run finished; rows without "
            "numbers were not measured yet."]
        section = benchmarks_md.render_section(context, offline, server,
                                               benchmarks_md.reference_patches(PREPARE_REFERENCE), cache)
        benchmarks_md.write_section(args.benchmarks_md, section)
        raw = {"context": context, "offline": dataclasses.asdict(offline),
               "server": {name: dataclasses.asdict(search) for name, search in server.items()},
               "cache_on": [dataclasses.asdict(run) for run in (cache or [])]}
        (runs_dir / "results.json").write_text(json.dumps(raw, indent=2, default=str), encoding="utf-8")
        return section

    offline = compare_offline(setup, counter, args.offline_samples, args.rounds, announce)
    server: dict = {}
    publish(offline, server, finished=args.skip_server and args.skip_cache_runs)
    if not args.skip_server:
        for contender in (HARNESS, REFERENCE):
            samples_per_s = [r.outcome.samples_per_second for r in offline.runs
                             if r.contender == contender and r.ok]
            ceiling = statistics.median(samples_per_s) if samples_per_s else None
            start = round(ceiling / SERVER_START_DIVISOR, 2) if ceiling else None
            server[contender] = search_server(setup, counter, contender, start, args.server_max_probes, announce,
                                              ceiling_qps=ceiling)
            publish(offline, server, finished=contender == REFERENCE and args.skip_cache_runs)
    if not args.skip_cache_runs:
        cache = measure_cache_effect(setup, counter, offline, server, announce)
        publish(offline, server, finished=True, cache=cache)
    print(f"bench-harness: section written to {args.benchmarks_md}; runs kept in {runs_dir}")
    return 0


def make_workload(vllm_python: pathlib.Path, harness_src: pathlib.Path, work_dir: pathlib.Path,
                  samples: int) -> tuple[pathlib.Path, pathlib.Path]:
    """The harness's own tiny model and synthetic dataset, made once and reused."""
    model, dataset = work_dir / "tiny-model", work_dir / f"dataset-{samples}.json"
    env = {**os.environ, "PYTHONPATH": str(harness_src)}
    harness = [str(vllm_python), "-m", "fleetbench_harness"]
    steps = []
    if not (model / "config.json").is_file():
        steps.append(harness + ["make-tiny-model", "--output", str(model)])
    if not dataset.is_file():
        steps.append(harness + ["make-dataset", "--tokenizer", str(model), "--output", str(dataset),
                                "--samples", str(samples)])
    for command in steps:
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            raise BenchError(f"`{' '.join(command[3:5])}` failed: {last}")
    return model, dataset


def prepare_reference(vllm_python: pathlib.Path, work_dir: pathlib.Path) -> tuple[pathlib.Path | None, str]:
    reference_dir = work_dir / "mlcommons-ref"
    env = {"FLEETBENCH_REFERENCE_DIR": str(reference_dir), **os.environ, "FLEETBENCH_VLLM_PYTHON": str(vllm_python)}
    completed = subprocess.run(["bash", str(PREPARE_REFERENCE)], env=env, capture_output=True, text=True,
                               check=False)
    said = (completed.stdout.strip().splitlines() or ["no output"])[-1]
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or [said])[-1]
        return None, f"not available ({last})"
    if not said.startswith("reference ready: "):
        return None, said
    reference_dir = pathlib.Path(said.removeprefix("reference ready: ").split(" (", 1)[0])
    commit = (reference_dir / "REFERENCE_COMMIT").read_text().strip()
    return reference_dir, f"mlcommons/inference `{commit[:12]}` language/llama3.1-8b, patched as listed below"


def workload_text(model: pathlib.Path, dataset: pathlib.Path, setup: Setup, offline_samples: int) -> str:
    records = json.loads(dataset.read_text(encoding="utf-8"))
    lengths = [len(r["tok_input"]) for r in records]
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    return (f"`fleetbench-harness make-tiny-model` (random-weights Llama, {config.get('num_hidden_layers')} layers, "
            f"hidden {config.get('hidden_size')}, vocab {config.get('vocab_size')}, bf16) and `make-dataset` "
            f"({len(records)} samples, {min(lengths)}-{max(lengths)} input tokens, "
            f"mean {sum(lengths) / len(lengths):.0f}; Offline runs take the first {offline_samples}); "
            f"prompts as token ids; greedy, at most 128 new tokens; VLLM_CPU_KVCACHE_SPACE="
            f"{os.environ['VLLM_CPU_KVCACHE_SPACE']} GiB; engine arguments {json.dumps(setup.engine_args)} "
            "(the harness's defaults) for both the harness and LLM.generate; the reference keeps its own other "
            "settings and is given the same enable_prefix_caching (patch 6 below). Every run in the tables has "
            "the prefix cache off; the runs with it on are in their own table. "
            "LLM.generate's tokens/s is its generate() call after a two-prompt warm-up (the harness warms up the "
            "same way); the harness and the reference report LoadGen's result_tokens_per_second.")


def server_method_text(max_probes: int, dataset_samples: int) -> str:
    return (f"Each probe is a LoadGen Server run of {PROBE_MIN_DURATION_MS // 1000} s at least (cut at "
            f"{PROBE_DURATION_CAP}x the scheduled length). Each run loads {DISTINCT_MARGIN:g}x as many distinct "
            "samples as it is scheduled to issue queries, so no prompt is issued twice within a run (LoadGen's "
            "equal-issue mode issues each loaded sample once), except where a run is marked 'prompts repeat' "
            f"(the {dataset_samples}-sample dataset was too small for it). A probe passes when LoadGen reports the "
            "p99 TTFT and "
            f"TPOT limits met. The search starts at 1/{SERVER_START_DIVISOR} of the contender's median Offline "
            "samples/s and never probes above that Offline rate (a sound Server run cannot hold more); it halves "
            "to bracket the limit from below, then bisects "
            f"(geometric mean) to within {SEARCH_TOLERANCE:.0%}, at most {max_probes} probes. Short probes never "
            f"have enough queries for LoadGen's early stopping, so the best probe is then confirmed by a run of at "
            f"least {CONFIRM_MIN_QUERIES} queries at the best probe's target QPS and then, until LoadGen says VALID, "
            f"at {', '.join(f'{share:.0%}' for share in CONFIRM_LADDER[1:])} of it. "
            "Recorded, not asserted.")


def announce(result: RunResult) -> None:
    value = f"{result.tokens_per_second:,.0f} tokens/s" if result.ok else f"FAILED: {result.error}"
    validity = f" {result.outcome.validity}" if result.ok and result.outcome else ""
    qps = f" target_qps={result.settings['target_qps']}" if "target_qps" in result.settings else ""
    print(f"[{time.strftime('%H:%M:%S')}] {result.scenario:7} {result.contender:20}{qps} {value}{validity} "
          f"({result.wall_s:.0f} s, load {result.load_before:.1f})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
