"""`fleetbench-harness`: run, make-tiny-model, make-dataset, score, fingerprint."""
from __future__ import annotations

import argparse
import json
import logging
import pathlib
import sys
import traceback

from fleetbench_harness.errors import BadInput, HarnessError
from fleetbench_harness.loadgen_settings import parse_key_values
from fleetbench_harness.profiles import PROFILES
from fleetbench_harness.scenarios import MODES, SCENARIOS
from fleetbench_harness.search_args import add_search_arguments, search_config

log = logging.getLogger("fleetbench_harness")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="fleetbench-harness", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="one LoadGen test (scenario x mode) on a vLLM engine")
    run.add_argument("--scenario", required=True, choices=list(SCENARIOS))
    run.add_argument("--mode", required=True, choices=MODES)
    run.add_argument("--model", required=True, type=pathlib.Path)
    run.add_argument("--dataset", required=True, type=pathlib.Path)
    run.add_argument("--output", required=True, type=pathlib.Path)
    run.add_argument("--profile", default="official", choices=PROFILES,
                     help="official: LoadGen's llama3_1-8b values; quick: short, never compliant")
    run.add_argument("--user-conf", type=pathlib.Path, help="LoadGen user.conf with overrides")
    run.add_argument("--loadgen-setting", action="append", default=[], metavar="KEY=VALUE",
                     help="one user.conf key for this scenario, e.g. target_qps=4 (repeatable)")
    run.add_argument("--engine-arg", action="append", default=[], metavar="KEY=VALUE",
                     help="vLLM EngineArgs field, e.g. max_num_seqs=64 (repeatable)")
    run.add_argument("--dataset-sha256", help="refuse the dataset unless its SHA-256 matches")
    run.add_argument("--total-sample-count", type=int, help="use only the first N samples")
    run.add_argument("--max-output-tokens", type=int, default=128,
                     help="generation cap; anything but 128 is not compliant")
    run.add_argument("--telemetry-interval", type=float, default=1.0, metavar="SECONDS",
                     help="sample host and GPU telemetry this often while LoadGen measures (0: off)")
    run.add_argument("--model-derivative", metavar="TEXT",
                     help="declare the model a derivative of the reference (e.g. 'FP8 quantization'); recorded")
    run.add_argument("--start-at", metavar="TIME",
                     help="load and warm up, then start measuring at this UTC time (epoch seconds or ISO 8601 "
                          "with a zone); every host of a fleet run gets the same one")
    add_search_arguments(run)

    tiny = commands.add_parser("make-tiny-model", help="random-weights Llama + local tokenizer, offline")
    tiny.add_argument("--output", required=True, type=pathlib.Path)
    tiny.add_argument("--seed", type=int, default=0)

    data = commands.add_parser("make-dataset", help="synthetic dataset in the MLPerf cnn_eval.json format")
    data.add_argument("--tokenizer", required=True, type=pathlib.Path, help="model or tokenizer folder")
    data.add_argument("--output", required=True, type=pathlib.Path)
    data.add_argument("--samples", required=True, type=int)
    data.add_argument("--min-input-tokens", type=int, default=200)
    data.add_argument("--max-input-tokens", type=int, default=800)
    data.add_argument("--seed", type=int, default=0)

    score = commands.add_parser("score", help="score a finished accuracy run (ROUGE, gen_len, gen_num)")
    score.add_argument("--output", required=True, type=pathlib.Path, help="the run's output folder")
    score.add_argument("--dataset", required=True, type=pathlib.Path)
    score.add_argument("--model", type=pathlib.Path, help="tokenizer folder (default: the run's model)")

    commands.add_parser("fingerprint", help="print this host's fingerprint as JSON")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler = {"run": _run, "make-tiny-model": _make_tiny_model, "make-dataset": _make_dataset,
               "score": _score, "fingerprint": _fingerprint}[args.command]
    try:
        return handler(args, sys.stdout)
    except HarnessError as error:
        print(f"fleetbench-harness: {error}", file=sys.stderr)
        return error.exit_code


def _run(args, _stdout) -> int:
    if args.server_search:
        return _search(args)
    from fleetbench_harness.console import LOG_FILE, configure_logging, output_to_log
    from fleetbench_harness.run_config import RunConfig
    from fleetbench_harness.runner import run_benchmark
    from fleetbench_harness.start_barrier import parse_start_at

    config = RunConfig(
        scenario=args.scenario, mode=args.mode, model=args.model, dataset=args.dataset, output=args.output,
        profile=args.profile, user_conf=args.user_conf,
        loadgen_settings=parse_key_values(args.loadgen_setting, "--loadgen-setting"),
        engine_args=parse_key_values(args.engine_arg, "--engine-arg"),
        dataset_sha256=args.dataset_sha256, total_sample_count=args.total_sample_count,
        max_output_tokens=args.max_output_tokens, telemetry_interval_s=args.telemetry_interval,
        model_derivative=args.model_derivative,
        start_at=None if args.start_at is None else parse_start_at(args.start_at))
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BadInput(f"output {args.output}: {err.strerror}") from None
    with output_to_log(args.output / LOG_FILE) as (terminal_out, terminal_err):
        configure_logging()
        try:
            summary = run_benchmark(config, console=terminal_err)
        except HarnessError as error:
            log.error("%s", error)
            print(f"fleetbench-harness: {error}", file=terminal_err)
            return error.exit_code
        except Exception as error:
            log.error("unexpected failure\n%s", traceback.format_exc())
            print(f"fleetbench-harness: unexpected {type(error).__name__}: {error} (see {args.output / LOG_FILE})",
                  file=terminal_err)
            return 1
        print(json.dumps(summary, sort_keys=True), file=terminal_out)
    return 0


def _search(args) -> int:
    from fleetbench_harness.server_search import run_search

    return run_search(search_config(args))


def _make_tiny_model(args, stdout) -> int:
    from fleetbench_harness.tiny_model import make_tiny_model

    print(make_tiny_model(args.output, args.seed), file=stdout)
    return 0


def _make_dataset(args, stdout) -> int:
    from fleetbench_harness.model_files import load_tokenizer
    from fleetbench_harness.synthetic_dataset import make_dataset, write_dataset

    tokenizer = load_tokenizer(args.tokenizer)
    try:
        records = make_dataset(tokenizer, args.samples, args.min_input_tokens, args.max_input_tokens, args.seed)
    except ValueError as err:
        raise BadInput(f"make-dataset: {err}") from None
    write_dataset(args.output, records)
    print(args.output, file=stdout)
    return 0


def _score(args, stdout) -> int:
    from fleetbench_harness.accuracy import ACCURACY_FILE, score_run
    from fleetbench_harness.dataset import load_dataset
    from fleetbench_harness.model_files import load_tokenizer
    from fleetbench_harness.run_record import RUN_FILE
    from fleetbench_harness.status import write_json_atomically

    model = args.model
    if model is None:
        try:
            model = pathlib.Path(json.loads((args.output / RUN_FILE).read_text())["model"]["path"])
        except (OSError, ValueError, KeyError):
            raise BadInput(f"{args.output / RUN_FILE} does not name the model: pass --model") from None
    scores = score_run(args.output, load_dataset(args.dataset).references, load_tokenizer(model))
    write_json_atomically(args.output / ACCURACY_FILE, scores)
    print(json.dumps(scores, sort_keys=True), file=stdout)
    return 0


def _fingerprint(_args, stdout) -> int:
    from fleetbench_harness.fingerprint import fingerprint

    print(json.dumps(fingerprint(), indent=2, sort_keys=True), file=stdout)
    return 0
