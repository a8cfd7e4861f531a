"""Every way a run can be given bad input or lose its engine: one line on stderr naming the
cause, the contract's exit code, a `failed` status file, and the log kept."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

from tests.pytest_plugins.harness import CACHE, build_once, harness_env, run_harness

pytestmark = pytest.mark.vllm

BAD_INPUT, ENGINE_FAILURE = 2, 3


def run(python, model, dataset, output, *extra: str) -> subprocess.CompletedProcess:
    return run_harness(python, "run", "--scenario", "Offline", "--mode", "performance", "--model", model,
                       "--dataset", dataset, "--output", output, "--profile", "quick",
                       "--engine-arg", "enforce_eager=true", *extra)


def assert_failed(result: subprocess.CompletedProcess, output: pathlib.Path, exit_code: int, cause: str) -> None:
    assert result.returncode == exit_code, result.stderr[-2000:]
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("fleetbench-harness: ") and cause in last_line, last_line
    assert "Traceback" not in result.stderr
    status = json.loads((output / "fleetbench_status.json").read_text())
    assert (status["phase"], status["exit_code"]) == ("failed", exit_code)
    assert status["error"] == last_line.removeprefix("fleetbench-harness: ")
    assert (output / "harness.log").is_file()


def test_missing_model(harness_python, tiny_dataset, tmp_path):
    result = run(harness_python, tmp_path / "no-model", tiny_dataset, tmp_path / "out")
    assert_failed(result, tmp_path / "out", BAD_INPUT, f"model {tmp_path / 'no-model'}: no such directory")


def test_model_folder_without_config(harness_python, tiny_dataset, tmp_path):
    (tmp_path / "empty-model").mkdir()
    result = run(harness_python, tmp_path / "empty-model", tiny_dataset, tmp_path / "out")
    assert_failed(result, tmp_path / "out", BAD_INPUT, "config.json no such file or directory")


def test_model_with_corrupt_tokenizer(harness_python, tiny_model, tiny_dataset, tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    for item in tiny_model.iterdir():
        (broken / item.name).symlink_to(item)
    (broken / "tokenizer.json").unlink()
    (broken / "tokenizer.json").write_text("{ not json")
    result = run(harness_python, broken, tiny_dataset, tmp_path / "out")
    assert_failed(result, tmp_path / "out", BAD_INPUT, "tokenizer cannot be loaded")


def test_dataset_tokenised_for_another_model(harness_python, tiny_dataset, tmp_path):
    other = build_once(CACHE / "tiny-llama-seed1", harness_python, "make-tiny-model", "--seed", "1")
    result = run(harness_python, other, tiny_dataset, tmp_path / "out")
    assert_failed(result, tmp_path / "out", BAD_INPUT, "(dataset tokenised for another model?)")


def test_truncated_dataset(harness_python, tiny_model, tiny_dataset, tmp_path):
    truncated = tmp_path / "cnn_eval.json"
    truncated.write_bytes(tiny_dataset.read_bytes()[:5000])
    result = run(harness_python, tiny_model, truncated, tmp_path / "out")
    assert_failed(result, tmp_path / "out", BAD_INPUT, f"dataset {truncated}: not readable JSON")


def test_dataset_checksum_mismatch(harness_python, tiny_model, tiny_dataset, tmp_path):
    result = run(harness_python, tiny_model, tiny_dataset, tmp_path / "out", "--dataset-sha256", "ab" * 32)
    assert_failed(result, tmp_path / "out", BAD_INPUT, f"does not match the expected {'ab' * 32}")


def test_unknown_loadgen_setting(harness_python, tiny_model, tiny_dataset, tmp_path):
    result = run(harness_python, tiny_model, tiny_dataset, tmp_path / "out", "--loadgen-setting", "target_qsp=3")
    assert_failed(result, tmp_path / "out", BAD_INPUT, "'target_qsp' is not a LoadGen user.conf key")


def test_unknown_engine_argument(harness_python, tiny_model, tiny_dataset, tmp_path):
    result = run(harness_python, tiny_model, tiny_dataset, tmp_path / "out", "--engine-arg", "max_num_seq=8")
    assert_failed(result, tmp_path / "out", BAD_INPUT, "unknown vLLM engine argument(s): max_num_seq")


def test_impossible_engine_argument(harness_python, tiny_model, tiny_dataset, tmp_path):
    result = run(harness_python, tiny_model, tiny_dataset, tmp_path / "out",
                 "--engine-arg", "gpu_memory_utilization=1.5")
    assert_failed(result, tmp_path / "out", BAD_INPUT, "vLLM rejected the engine arguments")
    assert "gpu_memory_utilization" in result.stderr.splitlines()[-1]


@pytest.mark.slow
def test_not_enough_memory_for_the_kv_cache(harness_python, tiny_model, tiny_dataset, tmp_path):
    # Two KV blocks cannot hold one 4,096-token sequence: vLLM's out-of-memory path at start-up.
    result = run(harness_python, tiny_model, tiny_dataset, tmp_path / "out", "--engine-arg", "num_gpu_blocks_override=2")
    assert_failed(result, tmp_path / "out", ENGINE_FAILURE, "vLLM ran out of memory while starting")
    assert "KV cache" in result.stderr.splitlines()[-1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _engine_core(pid: int) -> int | None:
    for child in _children(pid):
        try:
            # vLLM retitles its engine process once it runs; before that it is a spawned child.
            cmdline = pathlib.Path(f"/proc/{child}/cmdline").read_bytes()
            if b"EngineCore" in cmdline or b"spawn_main" in cmdline:
                return child
        except OSError:
            continue
    return None


@pytest.mark.slow
def test_engine_killed_mid_run_ends_the_run_as_an_engine_failure(harness_python, tiny_model, tiny_dataset, tmp_path):
    output = tmp_path / "out"
    process = subprocess.Popen(
        [str(harness_python), "-m", "fleetbench_harness", "run", "--scenario", "SingleStream", "--mode", "performance",
         "--model", str(tiny_model), "--dataset", str(tiny_dataset), "--output", str(output), "--profile", "quick",
         "--engine-arg", "enforce_eager=true"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=harness_env())
    try:
        deadline = time.monotonic() + 300
        status = {}
        while time.monotonic() < deadline and status.get("phase") != "running":
            time.sleep(0.5)
            try:
                status = json.loads((output / "fleetbench_status.json").read_text())
            except (OSError, ValueError):
                pass
        assert status.get("phase") == "running", f"run never started: {status}"
        engine = _engine_core(process.pid)
        assert engine, "no engine core process found"
        os.kill(engine, signal.SIGKILL)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    result = subprocess.CompletedProcess(process.args, process.returncode, "", stderr)
    assert_failed(result, output, ENGINE_FAILURE, "vLLM failed during the run")
    final = json.loads((output / "fleetbench_status.json").read_text())
    assert final["samples_completed"] < final["samples_issued"] or final["samples_issued"] < 64
