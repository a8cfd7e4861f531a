"""The telemetry sampler: what it reads from the kernel and from the GPU boundary (the stand-in
nvidia-smi, a stand-in pynvml), and the timeline it writes, held against the contract schema."""
from __future__ import annotations

import json
import pathlib
import stat
import sys
import time
import types

import jsonschema
import pytest

from fleetbench_harness.telemetry import TELEMETRY_FILE, TelemetrySampler
from fleetbench_harness.telemetry_gpu import NvmlReader, SmiLoopReader, open_gpu_reader, reason_names
from fleetbench_harness.telemetry_host import HostReader

REPO = pathlib.Path(__file__).parents[3]
SCHEMA = json.loads((REPO / "docs/contract/telemetry.schema.json").read_text())
STANDIN = REPO / "tests" / "standin" / "nvidia_smi.py"


def standin_nvidia_smi(tmp_path: pathlib.Path, gpus: list[dict], **state) -> pathlib.Path:
    """A `nvidia-smi` on a private PATH that runs the project's stand-in over this state."""
    module = tmp_path / "loaded-module"
    module.write_text("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.133.07  Release Build\n")
    state_file = tmp_path / "gpu.json"
    state_file.write_text(json.dumps({"driver_version": "570.133.07", "cuda_version": "12.8",
                                      "loaded_module_file": str(module), "gpus": gpus, **state}))
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.parent.mkdir()
    smi.write_text(f"#!/bin/sh\nFLEETBENCH_STANDIN_STATE={state_file} exec {sys.executable} {STANDIN} \"$@\"\n")
    smi.chmod(smi.stat().st_mode | stat.S_IXUSR)
    return smi


H100_CAPPED = {"name": "NVIDIA H100 80GB HBM3", "power_draw_w": 250.0, "power_limit_w": 250,
               "clock_event_reasons": ["sw_power_cap"], "utilization_pct": 97, "temperature_c": 71,
               "clocks": {"sm": 1410, "mem": 2619}, "pcie": {"gen": 4, "width": 16}}


def test_the_reason_mask_names_each_flag():
    assert reason_names(0x4 | 0x40) == ["sw_power_cap", "hw_thermal_slowdown"]
    assert reason_names(0) == []


def test_the_nvidia_smi_loop_reads_a_power_capped_gpu(tmp_path):
    smi = standin_nvidia_smi(tmp_path, [H100_CAPPED, {**H100_CAPPED, "clock_event_reasons": []}])
    reader = SmiLoopReader(0.1, smi=str(smi))
    try:
        deadline = time.monotonic() + 20
        while len(reader.sample()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        gpus = reader.sample()
    finally:
        reader.close()
    assert [g["index"] for g in gpus] == [0, 1]
    assert gpus[0]["clock_event_reasons"] == ["sw_power_cap"] and gpus[1]["clock_event_reasons"] == []
    assert gpus[0]["power_w"] == 250.0 and gpus[0]["power_limit_w"] == 250.0 and gpus[0]["sm_clock_mhz"] == 1410
    assert gpus[0]["pcie_gen"] == 4 and gpus[0]["pcie_width"] == 16 and gpus[0]["ecc_uncorrected"] == 0


def test_a_driver_without_the_new_reasons_field_is_read_with_the_old_one(tmp_path):
    smi = standin_nvidia_smi(tmp_path, [H100_CAPPED], unknown_query_fields=["clocks_event_reasons.active"])
    reader = SmiLoopReader(0.1, smi=str(smi))
    reader.close()
    assert "clocks_throttle_reasons.active" in reader.fields
    assert "clocks_event_reasons.active" not in reader.fields


def test_a_field_the_driver_rejects_is_left_out_not_fatal(tmp_path):
    smi = standin_nvidia_smi(tmp_path, [H100_CAPPED], unknown_query_fields=["utilization.memory"])
    reader = SmiLoopReader(0.1, smi=str(smi))
    reader.close()
    assert "utilization.memory" not in reader.fields and "power.draw" in reader.fields


def test_without_nvml_or_nvidia_smi_the_timeline_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "pynvml", None)
    reader, source = open_gpu_reader(1.0)
    assert reader is None
    assert source.startswith("none: pynvml not importable") and "no nvidia-smi on PATH" in source


def _fake_pynvml(power_mw: int, reasons: int) -> types.SimpleNamespace:
    """pynvml's calls for one GPU, at the NVML boundary (a real pynvml needs a GPU)."""
    util = types.SimpleNamespace(gpu=99, memory=40)
    energy = iter(range(1_000_000, 10**9, 300_000))
    return types.SimpleNamespace(
        NVML_CLOCK_SM=1, NVML_CLOCK_MEM=2, NVML_TEMPERATURE_GPU=0, NVML_MEMORY_ERROR_TYPE_CORRECTED=0,
        NVML_MEMORY_ERROR_TYPE_UNCORRECTED=1, NVML_VOLATILE_ECC=0,
        nvmlInit=lambda: None, nvmlShutdown=lambda: None, nvmlDeviceGetCount=lambda: 1,
        nvmlDeviceGetHandleByIndex=lambda i: f"gpu{i}",
        nvmlDeviceGetClockInfo=lambda h, kind: 1755 if kind == 1 else 2619,
        nvmlDeviceGetPowerUsage=lambda h: power_mw, nvmlDeviceGetEnforcedPowerLimit=lambda h: 300_000,
        nvmlDeviceGetTemperature=lambda h, kind: 64, nvmlDeviceGetUtilizationRates=lambda h: util,
        nvmlDeviceGetCurrentClocksEventReasons=lambda h: reasons,
        nvmlDeviceGetCurrPcieLinkGeneration=lambda h: 5, nvmlDeviceGetCurrPcieLinkWidth=lambda h: 16,
        nvmlDeviceGetTotalEccErrors=lambda h, kind, counter: 0,
        nvmlDeviceGetTotalEnergyConsumption=lambda h: next(energy),
    )


def test_nvml_is_read_first_with_the_energy_counter_at_start_and_end(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml(power_mw=299_000, reasons=0x4))
    with TelemetrySampler(tmp_path, 0.05):
        time.sleep(0.2)
    document = json.loads((tmp_path / TELEMETRY_FILE).read_text())
    jsonschema.validate(document, SCHEMA)
    assert document["sources"]["gpu"] == "nvml"
    gpu = document["samples"][-1]["gpus"][0]
    assert gpu["power_w"] == 299.0 and gpu["power_limit_w"] == 300.0 and gpu["clock_event_reasons"] == ["sw_power_cap"]
    assert document["energy_mj"]["end"][0] > document["energy_mj"]["start"][0]


def test_an_nvml_that_does_not_initialise_falls_back_to_nvidia_smi(tmp_path, monkeypatch):
    def refuse():
        raise RuntimeError("Driver/library version mismatch")

    monkeypatch.setitem(sys.modules, "pynvml", types.SimpleNamespace(nvmlInit=refuse))
    with pytest.raises(Exception, match="NVML did not initialise: Driver/library version mismatch"):
        NvmlReader()
    smi = standin_nvidia_smi(tmp_path, [H100_CAPPED])
    monkeypatch.setenv("PATH", str(smi.parent))
    reader, source = open_gpu_reader(0.1)
    reader.close()
    assert source == "nvidia-smi"


def test_the_timeline_of_a_run_matches_the_contract_schema(tmp_path, monkeypatch):
    smi = standin_nvidia_smi(tmp_path, [H100_CAPPED])
    monkeypatch.setenv("PATH", f"{smi.parent}:/usr/bin:/bin")
    monkeypatch.setitem(sys.modules, "pynvml", None)
    output = tmp_path / "run"
    output.mkdir()
    with TelemetrySampler(output, 0.1) as sampler:
        time.sleep(0.6)
        deadline = time.monotonic() + 15  # the stand-in nvidia-smi is a Python start away on a busy machine
        while not any(s.get("gpus") for s in sampler.samples) and time.monotonic() < deadline:
            time.sleep(0.1)
    document = json.loads((output / TELEMETRY_FILE).read_text())
    jsonschema.validate(document, SCHEMA)
    assert document["sources"]["gpu"] == "nvidia-smi" and len(document["samples"]) >= 4
    assert any(s.get("gpus") for s in document["samples"])
    assert "cpu_ticks_total" in document["samples"][0]["host"]
    assert document["sampler_cpu_s"] < document["duration_s"]


def test_an_interval_of_zero_writes_no_timeline(tmp_path):
    with TelemetrySampler(tmp_path, 0):
        pass
    assert not (tmp_path / TELEMETRY_FILE).exists()


def test_the_host_reader_takes_cgroup_v2_counters_and_pressure(tmp_path):
    root = tmp_path / "cgroup"
    (root / "bench").mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory\n")
    (root / "bench" / "cpu.stat").write_text("usage_usec 5000000\nnr_periods 100\nnr_throttled 48\nthrottled_usec 900000\n")
    (root / "bench" / "cpu.max").write_text("50000 100000\n")
    proc = tmp_path / "proc"
    (proc / "pressure").mkdir(parents=True)
    (proc / "stat").write_text("cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 1 2 3\n")
    (proc / "loadavg").write_text("1.50 1.20 0.90 3/200 12345\n")
    (proc / "pressure" / "cpu").write_text("some avg10=42.50 avg60=30.00 avg300=10.00 total=123\n")
    cgroup_file = tmp_path / "self-cgroup"
    cgroup_file.write_text("0::/bench\n")
    reader = HostReader(cgroup_root=root, proc=proc, proc_cgroup=cgroup_file, cpufreq=tmp_path / "none")
    sample = reader.sample()
    assert reader.quota_cores == 0.5
    assert sample == {"cpu_usage_usec": 5000000, "nr_periods": 100, "nr_throttled": 48, "throttled_usec": 900000,
                      "cpu_ticks_total": 1000, "cpu_ticks_idle": 810, "cpu_ticks_steal": 35,
                      "load1": 1.5, "runnable": 3, "psi_cpu_some_avg10": 42.5}
