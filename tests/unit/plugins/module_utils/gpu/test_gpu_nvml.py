"""The NVML reader. The GPU is stood in for at the NVML boundary (a fake pynvml that raises
pynvml's real error classes); without a GPU the real pynvml is used as it is."""
from __future__ import annotations

import types

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.nvml import NvmlUnavailable, read_nvml

pynvml = pytest.importorskip("pynvml")


def _fake_nvml(init_error=None, not_supported=()):
    """pynvml's constants and errors with one H100-like device behind them."""
    calls = {}

    def device_call(name, value):
        def call(*args):
            calls[name] = args
            if name in not_supported:
                raise pynvml.NVMLError_NotSupported()
            return value
        return call

    def init():
        if init_error:
            raise init_error()

    memory = types.SimpleNamespace(total=81559 * 1024 * 1024, used=1024 * 1024 * 1024)
    fake = types.SimpleNamespace(
        **{name: getattr(pynvml, name) for name in dir(pynvml) if name.startswith(("NVML_", "NVMLError"))},
        nvmlInit=init, nvmlShutdown=lambda: None,
        nvmlSystemGetDriverVersion=lambda: "570.133.20",
        nvmlSystemGetCudaDriverVersion=lambda: 12080,
        nvmlDeviceGetCount=lambda: 1,
        nvmlDeviceGetHandleByIndex=lambda index: f"handle{index}",
        nvmlDeviceGetName=device_call("name", b"NVIDIA H100 80GB HBM3"),
        nvmlDeviceGetUUID=device_call("uuid", "GPU-1234"),
        nvmlDeviceGetPciInfo=device_call("pci", types.SimpleNamespace(busId=b"00000000:AB:00.0")),
        nvmlDeviceGetVbiosVersion=device_call("vbios", "96.00.99.00.01"),
        nvmlDeviceGetCurrPcieLinkGeneration=device_call("gen", 5),
        nvmlDeviceGetMaxPcieLinkGeneration=device_call("gen_max", 5),
        nvmlDeviceGetCurrPcieLinkWidth=device_call("width", 16),
        nvmlDeviceGetMaxPcieLinkWidth=device_call("width_max", 16),
        nvmlDeviceGetMemoryInfo=device_call("memory", memory),
        nvmlDeviceGetPersistenceMode=device_call("persistence", pynvml.NVML_FEATURE_ENABLED),
        nvmlDeviceGetMigMode=device_call("mig", [pynvml.NVML_FEATURE_DISABLED, pynvml.NVML_FEATURE_DISABLED]),
        nvmlDeviceGetEccMode=device_call("ecc", [pynvml.NVML_FEATURE_ENABLED, pynvml.NVML_FEATURE_ENABLED]),
        nvmlDeviceGetComputeMode=device_call("compute", 0),
        nvmlDeviceGetEnforcedPowerLimit=device_call("power_limit", 700000),
        nvmlDeviceGetPowerManagementDefaultLimit=device_call("power_default", 700000),
        nvmlDeviceGetPowerUsage=device_call("power", 69850),
        nvmlDeviceGetClockInfo=device_call("clock", 1980),
        nvmlDeviceGetApplicationsClock=device_call("app_clock", 1755),
        nvmlDeviceGetMaxClockInfo=device_call("max_clock", 1980),
        nvmlDeviceGetTemperature=device_call("temp", 41),
        nvmlDeviceGetUtilizationRates=device_call("util", types.SimpleNamespace(gpu=3, memory=0)),
        nvmlDeviceGetComputeRunningProcesses=device_call(
            "procs", [types.SimpleNamespace(pid=4242, usedGpuMemory=2 * 1024 ** 3)]),
        nvmlSystemGetProcessName=lambda pid: b"python3",
    )
    return fake


def test_reads_versions_and_device_values_in_record_units():
    facts = read_nvml(_fake_nvml())
    assert (facts["driver_version"], facts["cuda_driver_version"]) == ("570.133.20", "12.8")
    gpu = facts["gpus"][0]
    assert (gpu["name"], gpu["pci_bus_id"], gpu["memory_total_mib"]) == ("NVIDIA H100 80GB HBM3", "00000000:AB:00.0", 81559)
    assert (gpu["power_limit_enforced_w"], gpu["power_draw_w"]) == (700.0, 69.85)
    assert (gpu["persistence_mode"], gpu["mig_mode"], gpu["ecc_mode"], gpu["compute_mode"]) == (True, False, True, "Default")
    assert gpu["processes"] == [{"pid": 4242, "name": "python3", "used_memory_mib": 2048}]


def test_unsupported_queries_become_none_not_errors():
    gpu = read_nvml(_fake_nvml(not_supported={"app_clock", "ecc", "power_default"}))["gpus"][0]
    assert (gpu["clock_app_sm_mhz"], gpu["ecc_mode"], gpu["power_limit_default_w"]) == (None, None, None)
    assert gpu["clock_max_sm_mhz"] == 1980


def test_driver_not_loaded_is_a_state():
    facts = read_nvml(_fake_nvml(init_error=pynvml.NVMLError_DriverNotLoaded))
    assert (facts["driver_loaded"], facts["gpus"]) == (False, [])


def test_version_mismatch_means_reboot_pending():
    facts = read_nvml(_fake_nvml(init_error=pynvml.NVMLError_LibRmVersionMismatch))
    assert facts["version_mismatch"] is True and "reboot pending" in facts["reason"]


def test_a_gpu_lost_from_the_bus_hands_over_to_nvidia_smi():
    fake = _fake_nvml()

    def lost(index):
        raise pynvml.NVMLError_GpuIsLost()
    fake.nvmlDeviceGetHandleByIndex = lost
    with pytest.raises(NvmlUnavailable, match="NVML failed reading the GPUs"):
        read_nvml(fake)


def test_other_init_errors_hand_over_to_nvidia_smi():
    with pytest.raises(NvmlUnavailable, match="NVML could not start"):
        read_nvml(_fake_nvml(init_error=pynvml.NVMLError_NoPermission))


def test_real_pynvml_without_a_gpu_reports_the_library_missing():
    # This machine has no NVIDIA driver: the real pynvml cannot load libnvidia-ml.
    with pytest.raises(NvmlUnavailable, match="NVML library"):
        read_nvml()
