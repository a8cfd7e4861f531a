"""`make gpu-check`'s logic against the stand-ins at the GPU boundary: the stand-in nvidia-smi
and the stand-in pynvml read one state file, which a test rewrites to put the GPU under load."""
from __future__ import annotations

import importlib
import json
import os
import pathlib
import stat
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
STANDIN_SMI = REPO / "tests" / "standin" / "nvidia_smi.py"
STANDIN_NVML = REPO / "tests" / "standin" / "nvml"
SCRIPT = REPO / "scripts" / "gpu_check.py"
IDLE = {"name": "NVIDIA H100 80GB HBM3", "power_draw_w": 70.0, "power_limit_w": 700, "utilization_pct": 0,
        "clocks": {"sm": 345, "mem": 2619}}
LOADED = {**IDLE, "power_draw_w": 640.0, "utilization_pct": 100, "clocks": {"sm": 1980, "mem": 2619}}


def write_state(path: pathlib.Path, gpus: list[dict], driver: str = "570.133.07") -> None:
    module = path.parent / "loaded-module"
    module.write_text(f"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  {driver}  Release Build\n")
    path.write_text(json.dumps({"driver_version": driver, "cuda_version": "12.8",
                                "loaded_module_file": str(module), "gpus": gpus}))


def smi_on(folder: pathlib.Path, state: pathlib.Path) -> pathlib.Path:
    smi = folder / "bin" / "nvidia-smi"
    smi.parent.mkdir(exist_ok=True)
    smi.write_text(f"#!/bin/sh\nFLEETBENCH_STANDIN_STATE={state} exec {sys.executable} {STANDIN_SMI} \"$@\"\n")
    smi.chmod(smi.stat().st_mode | stat.S_IXUSR)
    return smi


@pytest.fixture()
def gpu_check(monkeypatch):
    """The check's module with the stand-in pynvml importable as pynvml."""
    monkeypatch.syspath_prepend(str(STANDIN_NVML))
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    return importlib.import_module("gpu_check")


def rewrite_to(state: pathlib.Path, gpus: list[dict]):
    """A load that wakes the GPU a quarter into its time, as a real one ramps up: a sample begun
    while idle (the stand-in reads the state file once per call) never reads the loaded state."""
    def load(seconds: float) -> str:
        time.sleep(seconds / 4)
        write_state(state, gpus)
        time.sleep(seconds * 3 / 4)
        return "stand-in load"
    return load


def test_a_gpu_that_wakes_under_load_passes(tmp_path, monkeypatch, gpu_check):
    state = tmp_path / "gpu.json"
    write_state(state, [IDLE, IDLE])
    monkeypatch.setenv("FLEETBENCH_STANDIN_STATE", str(state))
    result = gpu_check.check(str(smi_on(tmp_path, state)), 0.5, 1.0, 0.1, load=rewrite_to(state, [LOADED, LOADED]))
    assert result["passed"] and result["telemetry_source"] == "nvml"
    rows = {row["check"]: row for row in result["checks"]}
    assert rows["driver_version"]["nvml"] == rows["driver_version"]["nvidia_smi"] == "570.133.07"
    assert rows["cuda_driver_version"]["ok"] and rows["gpu1 name"]["nvml"] == "NVIDIA H100 80GB HBM3"
    power = rows["gpu0 power W idle -> load"]
    assert power["idle"] == pytest.approx(70.0) and power["load"] > 600 and power["ok"]
    assert rows["gpu1 SM clock MHz idle -> load"]["load"] > rows["gpu1 SM clock MHz idle -> load"]["idle"]


def test_a_gpu_whose_power_does_not_rise_under_load_fails(tmp_path, monkeypatch, gpu_check):
    state = tmp_path / "gpu.json"
    write_state(state, [IDLE])
    monkeypatch.setenv("FLEETBENCH_STANDIN_STATE", str(state))
    result = gpu_check.check(str(smi_on(tmp_path, state)), 0.3, 0.6, 0.1, load=rewrite_to(state, [IDLE]))
    failed = [row["check"] for row in result["checks"] if row["ok"] is False]
    assert not result["passed"] and failed == ["gpu0 power W idle -> load"]


def test_readers_that_disagree_on_the_driver_fail_that_row(tmp_path, monkeypatch, gpu_check):
    nvml_state, smi_state = tmp_path / "nvml" / "gpu.json", tmp_path / "smi" / "gpu.json"
    for state, driver in ((nvml_state, "570.133.07"), (smi_state, "570.133.20")):
        state.parent.mkdir()
        write_state(state, [IDLE], driver)
    monkeypatch.setenv("FLEETBENCH_STANDIN_STATE", str(nvml_state))
    result = gpu_check.check(str(smi_on(tmp_path, smi_state)), 0.2, 0.2, 0.1, load=lambda s: "none: no load in this test")
    rows = {row["check"]: row for row in result["checks"]}
    assert not result["passed"] and rows["driver_version"]["ok"] is False
    assert rows["gpu0 power W idle -> load"]["ok"] is None


def run_script(tmp_path, state, *args):
    env = {**os.environ, "FLEETBENCH_STANDIN_STATE": str(state), "PYTHONPATH": str(STANDIN_NVML)}
    return subprocess.run([sys.executable, str(SCRIPT), "--nvidia-smi", str(smi_on(tmp_path, state)),
                           "--idle-seconds", "0.3", "--load-seconds", "0.3", "--interval", "0.1", *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_command_prints_one_table_and_writes_the_json(tmp_path):
    state = tmp_path / "gpu.json"
    write_state(state, [IDLE])
    out = tmp_path / "gpu-check.json"
    done = run_script(tmp_path, state, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "gpu0 uuid" in done.stdout and "gpu-check: passed" in done.stdout
    saved = json.loads(out.read_text())
    assert saved["passed"] and saved["load"].startswith("none: PyTorch") and saved["samples"] >= 3


def test_a_machine_without_a_gpu_is_one_line_and_exit_2(tmp_path):
    state = tmp_path / "gpu.json"
    write_state(state, [])
    done = run_script(tmp_path, state, "--out", str(tmp_path / "gpu-check.json"))
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith("gpu-check: cannot run: NVML sees no GPU")
