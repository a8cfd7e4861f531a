"""Harness fixtures: the tiny model, tiny datasets, and running `fleetbench-harness` in the vLLM venv.

The harness's pure-Python modules are importable in the controller venv too (harness/src is put
on sys.path), so unit tests need no vLLM; anything that loads a model runs in the vLLM venv as
a subprocess, as on a real host."""
from __future__ import annotations

import contextlib
import fcntl
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

HARNESS_SRC = REPO / "harness" / "src"
CACHE = REPO / ".cache"
TINY_MODEL = CACHE / "tiny-llama"
# Small KV cache: the machine is shared by several engineers' test runs.
KVCACHE_GIB = "1"

if str(HARNESS_SRC) not in sys.path:
    sys.path.insert(0, str(HARNESS_SRC))


def harness_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("VLLM_CPU_KVCACHE_SPACE", KVCACHE_GIB)
    # This checkout's harness, whichever checkout the vLLM venv installed it from.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HARNESS_SRC), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_harness(python: pathlib.Path, *args: str, timeout: float = 600, env: dict | None = None
                ) -> subprocess.CompletedProcess:
    """`python -m fleetbench_harness ARGS` in the vLLM venv; output captured as text."""
    return subprocess.run([str(python), "-m", "fleetbench_harness", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env or harness_env(), check=False)


@contextlib.contextmanager
def _exclusive(lock_path: pathlib.Path):
    """Parallel pytest sessions (other engineers, xdist) build shared artifacts once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build_once(target: pathlib.Path, python: pathlib.Path, *args: str) -> pathlib.Path:
    """Build into a sibling temp path and rename, so a half-built artifact is never reused."""
    with _exclusive(target.with_name(target.name + ".lock")):
        if target.exists():
            return target
        partial = target.with_name(target.name + ".partial")
        if partial.is_dir():
            shutil.rmtree(partial)
        partial.unlink(missing_ok=True)
        result = run_harness(python, *args, "--output", partial)
        assert result.returncode == 0, f"building {target.name} failed:\n{result.stderr[-3000:]}"
        partial.rename(target)
    return target


@pytest.fixture(scope="session")
def harness_python(vllm_python: pathlib.Path) -> pathlib.Path:
    """The vLLM venv's python, with the harness installed in it."""
    check = subprocess.run([str(vllm_python), "-c", "import fleetbench_harness, vllm"], capture_output=True,
                           text=True, check=False)
    if check.returncode != 0:
        pytest.skip(f"harness or vLLM not importable in {vllm_python}: run `make setup-harness`")
    return vllm_python


@pytest.fixture(scope="session")
def tiny_model(harness_python: pathlib.Path) -> pathlib.Path:
    """Random-weights Llama + local tokenizer in .cache/tiny-llama, built once and reused."""
    return build_once(TINY_MODEL, harness_python, "make-tiny-model")


def make_tiny_dataset(python: pathlib.Path, model: pathlib.Path, samples: int, min_tokens: int = 100,
                      max_tokens: int = 400, seed: int = 0) -> pathlib.Path:
    name = f"tiny-dataset-{samples}x{min_tokens}-{max_tokens}-seed{seed}.json"
    return build_once(CACHE / name, python, "make-dataset", "--tokenizer", model, "--samples", str(samples),
                      "--min-input-tokens", str(min_tokens), "--max-input-tokens", str(max_tokens),
                      "--seed", str(seed))


@pytest.fixture(scope="session")
def tiny_dataset(harness_python: pathlib.Path, tiny_model: pathlib.Path) -> pathlib.Path:
    """64 synthetic samples (100-400 input tokens) in the MLPerf cnn_eval.json format."""
    return make_tiny_dataset(harness_python, tiny_model, samples=64)


QUICK_TEST_ARGS = ("--profile", "quick", "--engine-arg", "enforce_eager=true")
# With the prefix cache off, 2 shared cores cannot hold the quick profile's 40 QPS (p99 TTFT 8 s,
# INVALID, measured here): the tiny model's Offline runs at about 20 samples/s, so half of that.
STREAMING_TEST_TARGET = ("--loadgen-setting", "target_qps=10")


@pytest.fixture(scope="session")
def quick_harness_run(harness_python, tiny_model, tiny_dataset, tmp_path_factory):
    """Run `fleetbench-harness run` once per (scenario, mode) per session on the tiny model with the
    quick profile; returns (CompletedProcess, output folder). enforce_eager skips torch.compile,
    which would cost 20-30 s per engine start here."""
    done: dict[tuple[str, str], tuple[subprocess.CompletedProcess, pathlib.Path]] = {}

    def run(scenario: str, mode: str):
        if (scenario, mode) not in done:
            output = tmp_path_factory.mktemp(f"{scenario}-{mode}")
            target = STREAMING_TEST_TARGET if scenario in ("Server", "Interactive") else ()
            result = run_harness(harness_python, "run", "--scenario", scenario, "--mode", mode, "--model", tiny_model,
                                 "--dataset", tiny_dataset, "--output", output, *QUICK_TEST_ARGS, *target)
            done[scenario, mode] = (result, output)
        return done[scenario, mode]

    return run
