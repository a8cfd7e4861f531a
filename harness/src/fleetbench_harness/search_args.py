"""`run --server-search` options, and the SearchConfig they make (server_search)."""
from __future__ import annotations

import argparse

from fleetbench_harness.errors import BadInput
from fleetbench_harness.loadgen_settings import parse_key_values
from fleetbench_harness.server_search import (DEFAULT_START_QPS, PROBE_DEFAULTS, SEARCH_SCENARIOS, SearchConfig)

# Settings each child gets from the search itself; the caller's own values would be overridden.
_SEARCH_OWNED = ("target_qps",)


def add_search_arguments(run: argparse.ArgumentParser) -> None:
    search = run.add_argument_group("Server capacity search (--server-search)")
    search.add_argument("--server-search", action="store_true",
                        help="find the highest target QPS held within the TTFT/TPOT limits: short probes, then a "
                             "full-length confirm run into --output")
    search.add_argument("--search-start-qps", type=float, metavar="QPS",
                        help="first probe (default: --loadgen-setting target_qps, else 4 quick / 1 official)")
    search.add_argument("--search-probes", type=int, default=6, metavar="N", help="probes at most (default 6)")
    search.add_argument("--search-confirm-tries", type=int, default=2, metavar="N",
                        help="full-length runs at most, each 10%% lower after an INVALID one (default 2)")
    search.add_argument("--search-probe-duration", type=float, metavar="SECONDS",
                        help="LoadGen min_duration of a probe (default 60 official, 2 quick)")
    search.add_argument("--search-probe-queries", type=int, metavar="N",
                        help="LoadGen min_query_count of a probe (default: the profile's; 100 quick)")
    search.add_argument("--offline-samples-per-second", type=float, metavar="RATE",
                        help="the host's Offline samples/s, recorded beside the search")


def search_config(args: argparse.Namespace) -> SearchConfig:
    if args.scenario not in SEARCH_SCENARIOS or args.mode != "performance":
        raise BadInput(f"--server-search needs --scenario Server or Interactive and --mode performance "
                       f"(got {args.scenario} {args.mode})")
    if args.start_at is not None:
        raise BadInput("--server-search probes one host alone: it does not take --start-at")
    settings = parse_key_values(args.loadgen_setting, "--loadgen-setting")
    start = args.search_start_qps
    if start is None:
        start = float(settings["target_qps"]) if _number(settings.get("target_qps")) else DEFAULT_START_QPS[args.profile]
    duration_ms, queries = PROBE_DEFAULTS[args.profile]
    if args.search_probe_duration is not None:
        duration_ms = int(args.search_probe_duration * 1000)
    if args.search_probe_queries is not None:
        queries = args.search_probe_queries
    return SearchConfig(child_args=child_args(args, settings), output=args.output, profile=args.profile,
                        start_qps=start, max_probes=args.search_probes, confirm_tries=args.search_confirm_tries,
                        probe_min_duration_ms=duration_ms, probe_min_query_count=queries,
                        offline_samples_per_second=args.offline_samples_per_second)


def child_args(args: argparse.Namespace, settings: dict[str, str]) -> list[str]:
    """The `run` arguments every probe and confirm run shares (without --output)."""
    out = ["--scenario", args.scenario, "--mode", args.mode, "--model", str(args.model),
           "--dataset", str(args.dataset), "--profile", args.profile,
           "--max-output-tokens", str(args.max_output_tokens), "--telemetry-interval", str(args.telemetry_interval)]
    optional = {"--user-conf": args.user_conf, "--dataset-sha256": args.dataset_sha256,
                "--total-sample-count": args.total_sample_count, "--model-derivative": args.model_derivative}
    for flag, value in optional.items():
        if value is not None:
            out += [flag, str(value)]
    for key, value in settings.items():
        if key not in _SEARCH_OWNED:
            out += ["--loadgen-setting", f"{key}={value}"]
    for pair in args.engine_arg:
        out += ["--engine-arg", pair]
    return out


def _number(text: str | None) -> bool:
    try:
        return text is not None and float(text) > 0
    except ValueError:
        return False
