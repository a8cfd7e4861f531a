"""Real LoadGen output folders, made once per test session by mlcommons-loadgen itself.

tests/tools/make_loadgen_run.py drives LoadGen with a zero-latency Python SUT, one LoadGen
test per process (mlperf.conf is applied only on a process's first FromConfig). Settings are
lowered so the whole set takes a few seconds; one run is made INVALID on purpose.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

MAKE_RUN = pathlib.Path(__file__).resolve().parents[1] / "tools" / "make_loadgen_run.py"
LLM_TOKENS = 16


@dataclasses.dataclass(frozen=True)
class LoadGenRunSpec:
    """One LoadGen test to run, and what it is expected to yield."""

    scenario: str
    mode: str
    model: str
    settings: tuple[str, ...]
    expect_valid: bool | None
    tokens: int = LLM_TOKENS
    expect_errors: bool = False
    # Server runs are judged on latency: a stalled machine can fail their TTFT/TPOT bound, and
    # the parser must then report LoadGen's INVALID with its reason, not the expected verdict.
    latency_bound: bool = False

    def command(self, output: pathlib.Path) -> list[str]:
        command = [sys.executable, str(MAKE_RUN), "--scenario", self.scenario, "--mode", self.mode,
                   "--output", str(output), "--model", self.model, "--tokens", str(self.tokens)]
        for setting in self.settings:
            command += ["--setting", setting]
        return command


LOADGEN_RUNS = {
    # Offline finishes at once with a zero-latency SUT: enough samples keep it past min_duration.
    "offline_performance": LoadGenRunSpec(
        "Offline", "performance", "llama3_1-8b", ("min_duration_ms=5", "offline_expected_qps=2000000"), True),
    # target_qps far too low: LoadGen issues 10 samples, ends in milliseconds, min_duration unmet.
    "offline_invalid": LoadGenRunSpec(
        "Offline", "performance", "llama3_1-8b", ("min_duration_ms=1000", "offline_expected_qps=10"), False),
    "offline_accuracy": LoadGenRunSpec("Offline", "accuracy", "llama3_1-8b", (), None),
    "server_performance": LoadGenRunSpec(
        "Server", "performance", "llama3_1-8b",
        ("min_duration_ms=200", "min_query_count=1000", "server_target_qps=4000"), True, latency_bound=True),
    # Interactive is a Server run under the interactive model key's tighter TTFT/TPOT limits.
    "interactive_performance": LoadGenRunSpec(
        "Server", "performance", "llama3_1-8b-interactive",
        ("min_duration_ms=200", "min_query_count=1000", "server_target_qps=4000"), True, latency_bound=True),
    "server_accuracy": LoadGenRunSpec("Server", "accuracy", "llama3_1-8b", ("server_target_qps=4000",), None),
    # LoadGen pre-generates min_duration / expected_latency queries and ends when they run out.
    # An expected latency below the SUT's fastest answer (about 2 us here) makes the queries
    # outlast min_duration however idle the machine; 20 us ran out early on an idle one.
    "singlestream_performance": LoadGenRunSpec(
        "SingleStream", "performance", "llama3_1-8b",
        ("min_duration_ms=20", "min_query_count=700", "single_stream_expected_latency_ns=500"), True),
    "multistream_performance": LoadGenRunSpec(
        "MultiStream", "performance", "resnet50",
        ("min_duration_ms=20", "min_query_count=700", "multi_stream_expected_latency_ns=500"), True, tokens=0),
    # A SUT answering with one token: LoadGen logs an error per sample and computes a negative TPOT.
    "server_one_token": LoadGenRunSpec(
        "Server", "performance", "llama3_1-8b",
        ("min_duration_ms=200", "min_query_count=1000", "server_target_qps=4000"), True, tokens=1, expect_errors=True,
        latency_bound=True),
}


@pytest.fixture(scope="session")
def loadgen_runs(tmp_path_factory) -> dict[str, pathlib.Path]:
    """name -> output folder of each LOADGEN_RUNS entry."""
    return make_loadgen_runs(LOADGEN_RUNS, tmp_path_factory.mktemp("loadgen_runs"))


def make_loadgen_runs(specs: dict[str, LoadGenRunSpec], root: pathlib.Path) -> dict[str, pathlib.Path]:
    """Run each spec into root/<name>, as many at a time as there are CPUs; name -> folder."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = pool.map(lambda item: (item[0], _run(item[1], root / item[0])), specs.items())
        for name, (code, output) in done:
            assert code == 0, f"LoadGen run {name} failed:\n{output}"
    return {name: root / name for name in specs}


def _run(spec: LoadGenRunSpec, output: pathlib.Path) -> tuple[int, str]:
    completed = subprocess.run(spec.command(output), capture_output=True, text=True, timeout=300, check=False)
    return completed.returncode, completed.stdout + completed.stderr


@pytest.fixture
def offline_run(loadgen_runs, tmp_path) -> pathlib.Path:
    """A copy of the session's Offline performance run that a test may damage."""
    target = tmp_path / "offline"
    shutil.copytree(loadgen_runs["offline_performance"], target)
    return target
