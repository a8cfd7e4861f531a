"""Make a real LoadGen output folder with a zero-latency SUT (mlcommons-loadgen from PyPI).

One LoadGen test per process: the package's embedded mlperf.conf is applied only on the first
TestSettings.FromConfig call in a process, so a second test here would run on other settings.

    python make_loadgen_run.py --scenario Server --mode performance --output DIR \
        [--model llama3_1-8b] [--tokens 128] [--setting min_duration_ms=100 ...]

LLM runs answer every sample with `--tokens` int32 token ids and, in Server and SingleStream,
report the first token through FirstTokenComplete before completing the sample, as a real
LLM SUT does.
"""
from __future__ import annotations

import argparse
import array
import pathlib
import sys
import tempfile

import mlperf_loadgen as lg

SCENARIOS = {
    "Offline": lg.TestScenario.Offline,
    "Server": lg.TestScenario.Server,
    "SingleStream": lg.TestScenario.SingleStream,
    "MultiStream": lg.TestScenario.MultiStream,
}
MODES = {"performance": lg.TestMode.PerformanceOnly, "accuracy": lg.TestMode.AccuracyOnly}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=SCENARIOS, required=True)
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--output", type=pathlib.Path, required=True)
    parser.add_argument("--model", default=None, help="mlperf.conf model key; none: LoadGen defaults")
    parser.add_argument("--tokens", type=int, default=0, help="tokens per response; 0: not an LLM")
    parser.add_argument("--total-samples", type=int, default=64)
    parser.add_argument("--performance-samples", type=int, default=64)
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a TestSettings attribute, e.g. min_duration_ms=100")
    return parser.parse_args(argv)


def build_settings(args: argparse.Namespace) -> lg.TestSettings:
    settings = lg.TestSettings()
    if args.model:
        # FromConfig wants a user.conf; an empty one leaves mlperf.conf's values for the model.
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as user_conf:
            if settings.FromConfig(user_conf.name, args.model, args.scenario, 1) != 0:
                raise SystemExit(f"LoadGen rejected model {args.model!r} for {args.scenario}")
    settings.scenario = SCENARIOS[args.scenario]
    settings.mode = MODES[args.mode]
    settings.use_token_latencies = args.tokens > 0
    for item in args.setting:
        name, _, raw = item.partition("=")
        current = getattr(settings, name)
        setattr(settings, name, type(current)(float(raw)) if isinstance(current, (int, float)) else raw)
    return settings


class ZeroLatencySut:
    """Answers every sample at once; an LLM answer is `tokens` token ids."""

    def __init__(self, scenario: str, tokens: int):
        self.streams_first_token = tokens > 0 and scenario in ("Server", "SingleStream")
        self.payload = array.array("i", range(1, max(tokens, 1) + 1))
        self.tokens = tokens

    def issue_queries(self, samples: list) -> None:
        address, _ = self.payload.buffer_info()
        size = len(self.payload) * self.payload.itemsize
        if self.streams_first_token:
            lg.FirstTokenComplete([lg.QuerySampleResponse(s.id, address, self.payload.itemsize, 1) for s in samples])
        if self.tokens:
            responses = [lg.QuerySampleResponse(s.id, address, size, self.tokens) for s in samples]
        else:
            responses = [lg.QuerySampleResponse(s.id, address, size) for s in samples]
        lg.QuerySamplesComplete(responses)

    def flush_queries(self) -> None:
        """Nothing is ever queued."""


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    settings = build_settings(args)
    log_settings = lg.LogSettings()
    log_settings.log_output.outdir = str(args.output)
    log_settings.log_output.copy_summary_to_stdout = False
    sut_impl = ZeroLatencySut(args.scenario, args.tokens)
    sut = lg.ConstructSUT(sut_impl.issue_queries, sut_impl.flush_queries)
    qsl = lg.ConstructQSL(args.total_samples, args.performance_samples, lambda _: None, lambda _: None)
    try:
        lg.StartTestWithLogSettings(sut, qsl, settings, log_settings)
    finally:
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
