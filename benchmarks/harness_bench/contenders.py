"""The three things measured, each as one process run on the same model, prompts and sampling:
plain `LLM.generate`, the fleetbench harness, and the patched MLCommons reference."""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess
import time

from benchmarks.harness_bench.loadgen_outcome import LoadGenOutcome, OutcomeMissing, read_outcome

PLAIN, HARNESS, REFERENCE = "LLM.generate", "fleetbench harness", "MLCommons reference"
MODEL_KEY = "llama3_1-8b"
PLAIN_SCRIPT = pathlib.Path(__file__).with_name("plain_generate.py")
# The reference README's settings; tensor parallel 1 because this machine has one device.
REFERENCE_ARGS = ("--batch-size", "16", "--dtype", "bfloat16", "--tensor-parallel-size", "1", "--vllm")


@dataclasses.dataclass(frozen=True)
class Setup:
    vllm_python: pathlib.Path
    harness_src: pathlib.Path
    reference_dir: pathlib.Path | None  # None: reference not available
    model: pathlib.Path
    dataset: pathlib.Path
    work_dir: pathlib.Path
    engine_args: dict  # the harness's engine arguments, given to LLM() unchanged
    dataset_samples: int = 0  # how many samples the dataset file holds
    prefix_cache: bool = False  # vLLM's prefix cache, set alike for all three contenders
    timeout_s: int = 1800

    def cache_args(self) -> dict:
        """The engine arguments with the prefix cache set explicitly, as every contender gets it."""
        return {**self.engine_args, "enable_prefix_caching": self.prefix_cache}


@dataclasses.dataclass(frozen=True)
class RunResult:
    contender: str
    scenario: str
    settings: dict
    tokens_per_second: float | None
    outcome: LoadGenOutcome | None
    error: str | None
    wall_s: float
    load_before: float
    output_dir: str

    @property
    def ok(self) -> bool:
        return self.error is None and self.tokens_per_second is not None


class RunCounter:
    """Numbers each run's output folder, so nothing a run wrote is overwritten."""

    def __init__(self) -> None:
        self.count = 0

    def next_dir(self, setup: Setup, contender: str, scenario: str) -> pathlib.Path:
        self.count += 1
        slug = contender.split()[-1].replace(".", "_").lower()
        cache = "-cache-on" if setup.prefix_cache else ""
        path = setup.work_dir / f"{self.count:03d}-{slug}-{scenario.lower()}{cache}"
        path.mkdir(parents=True, exist_ok=True)
        return path


def run_plain(setup: Setup, out: pathlib.Path, samples: int, min_tokens: int = 0) -> RunResult:
    result_file = out / "plain_generate.json"
    command = [str(setup.vllm_python), str(PLAIN_SCRIPT), "--model", str(setup.model),
               "--dataset", str(setup.dataset), "--samples", str(samples),
               "--engine-args", json.dumps(setup.cache_args()), "--result", str(result_file),
               "--min-tokens", str(min_tokens)]
    settings = {"samples": samples, "engine_args": setup.cache_args(), "prefix_cache": setup.prefix_cache,
                "min_tokens": min_tokens}

    def read(_returncode: int) -> tuple[float, None]:
        return float(json.loads(result_file.read_text())["tokens_per_second"]), None
    return _run(PLAIN, "Offline", settings, command, out, setup, read)


def run_harness(setup: Setup, out: pathlib.Path, scenario: str, samples: int,
                loadgen: dict[str, str]) -> RunResult:
    command = [str(setup.vllm_python), "-m", "fleetbench_harness", "run", "--scenario", scenario,
               "--mode", "performance", "--model", str(setup.model), "--dataset", str(setup.dataset),
               "--output", str(out), "--profile", "quick", "--total-sample-count", str(samples),
               "--engine-arg", f"enable_prefix_caching={json.dumps(setup.prefix_cache)}"]
    for key, value in loadgen.items():
        command += ["--loadgen-setting", f"{key}={value}"]
    env = {"PYTHONPATH": _prepend(str(setup.harness_src), os.environ.get("PYTHONPATH"))}
    settings = {"samples": samples, "prefix_cache": setup.prefix_cache, **loadgen}
    return _run(HARNESS, scenario, settings, command, out, setup, _loadgen_reader(out), env=env)


def run_reference(setup: Setup, out: pathlib.Path, scenario: str, samples: int,
                  loadgen: dict[str, str]) -> RunResult:
    settings = {"samples": samples, "prefix_cache": setup.prefix_cache, **loadgen}
    if setup.reference_dir is None:
        return RunResult(REFERENCE, scenario, settings, None, None, "reference not available", 0.0,
                         os.getloadavg()[0], str(out))
    user_conf = out / "user.conf"
    user_conf.write_text("".join(f"{MODEL_KEY}.{scenario}.{k} = {v}\n" for k, v in loadgen.items()),
                         encoding="utf-8")
    command = [str(setup.vllm_python), "-u", "main.py", "--scenario", scenario,
               "--model-path", str(setup.model.resolve()), "--dataset-path", str(setup.dataset.resolve()),
               "--user-conf", str(user_conf.resolve()), "--total-sample-count", str(samples),
               "--output-log-dir", str(out.resolve()), *REFERENCE_ARGS]
    # prepare_reference.sh patched both of its engines to read the prefix cache setting from here.
    env = {"PYTHONPATH": _prepend(str(setup.reference_dir / "deps"), os.environ.get("PYTHONPATH")),
           "FLEETBENCH_PREFIX_CACHING": "1" if setup.prefix_cache else "0"}
    return _run(REFERENCE, scenario, settings, command, out, setup, _loadgen_reader(out), env=env,
                cwd=setup.reference_dir)


def _loadgen_reader(out: pathlib.Path):
    def read(returncode: int) -> tuple[float, LoadGenOutcome]:
        if returncode != 0:
            raise OutcomeMissing(f"exit code {returncode}")
        outcome = read_outcome(out)
        return outcome.tokens_per_second, outcome
    return read


def _run(contender, scenario, settings, command, out, setup, read, env=None, cwd=None) -> RunResult:
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    error = None
    tokens_per_second = outcome = None
    with open(out / "stdout.log", "wb") as stdout, open(out / "stderr.log", "wb") as stderr:
        try:
            completed = subprocess.run(command, stdout=stdout, stderr=stderr, cwd=cwd, timeout=setup.timeout_s,
                                       env={**os.environ, **(env or {})}, check=False)
            tokens_per_second, outcome = read(completed.returncode)
        except subprocess.TimeoutExpired:
            error = f"timed out after {setup.timeout_s} s"
        except (OSError, ValueError, KeyError, OutcomeMissing) as err:
            error = f"{err} (last stderr line: {_last_line(out / 'stderr.log')})"
    return RunResult(contender, scenario, settings, tokens_per_second, outcome, error,
                     round(time.monotonic() - started, 1), load_before, str(out))


def _last_line(path: pathlib.Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "none"


def _prepend(entry: str, existing: str | None) -> str:
    return entry if not existing else f"{entry}{os.pathsep}{existing}"
