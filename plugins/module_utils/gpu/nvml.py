# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read GPU facts through NVML (`nvidia-ml-py`, imported as pynvml) when the host has it.

NVML is the interface NVIDIA keeps stable; nvidia-smi's text is not. pynvml is imported
only when asked for, so hosts without it still load this file.
"""
from __future__ import annotations

import importlib

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import (
    new_gpu,
    version_from_cuda_int,
)

_COMPUTE_MODES = {0: "Default", 1: "Exclusive_Thread", 2: "Prohibited", 3: "Exclusive_Process"}


class NvmlUnavailable(Exception):
    """pynvml or libnvidia-ml cannot be loaded here: try nvidia-smi instead."""


def load_pynvml():
    try:
        return importlib.import_module("pynvml")
    except ImportError:
        raise NvmlUnavailable("pynvml (nvidia-ml-py) is not installed") from None


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def _safe(nvml, function, *args):
    """One device query; None when this GPU or driver does not support it."""
    try:
        return _text(function(*args))
    except nvml.NVMLError:
        return None


def _watts(milliwatts):
    return None if milliwatts is None else milliwatts / 1000.0


def _mib(size):
    return None if size is None else int(size // (1024 * 1024))


def _enabled(nvml, pair_or_value):
    if pair_or_value is None:
        return None
    current = pair_or_value[0] if isinstance(pair_or_value, (list, tuple)) else pair_or_value
    return current == nvml.NVML_FEATURE_ENABLED


def _processes(nvml, handle) -> list:
    running = _safe(nvml, nvml.nvmlDeviceGetComputeRunningProcesses, handle) or []
    return [{
        "pid": proc.pid,
        "name": _safe(nvml, nvml.nvmlSystemGetProcessName, proc.pid),
        "used_memory_mib": _mib(getattr(proc, "usedGpuMemory", None)),
    } for proc in running]


def _device(nvml, index: int) -> dict:
    handle = nvml.nvmlDeviceGetHandleByIndex(index)

    def q(function, *args):
        return _safe(nvml, function, handle, *args)

    memory = q(nvml.nvmlDeviceGetMemoryInfo)
    pci = q(nvml.nvmlDeviceGetPciInfo)
    compute = q(nvml.nvmlDeviceGetComputeMode)
    return new_gpu(
        index=index,
        name=q(nvml.nvmlDeviceGetName),
        uuid=q(nvml.nvmlDeviceGetUUID),
        pci_bus_id=_text(pci.busId) if pci is not None else None,
        vbios_version=q(nvml.nvmlDeviceGetVbiosVersion),
        pcie_gen_current=q(nvml.nvmlDeviceGetCurrPcieLinkGeneration),
        pcie_gen_max=q(nvml.nvmlDeviceGetMaxPcieLinkGeneration),
        pcie_width_current=q(nvml.nvmlDeviceGetCurrPcieLinkWidth),
        pcie_width_max=q(nvml.nvmlDeviceGetMaxPcieLinkWidth),
        memory_total_mib=_mib(memory.total) if memory is not None else None,
        memory_used_mib=_mib(memory.used) if memory is not None else None,
        persistence_mode=_enabled(nvml, q(nvml.nvmlDeviceGetPersistenceMode)),
        mig_mode=_enabled(nvml, q(nvml.nvmlDeviceGetMigMode)),
        ecc_mode=_enabled(nvml, q(nvml.nvmlDeviceGetEccMode)),
        compute_mode=_COMPUTE_MODES.get(compute) if compute is not None else None,
        power_limit_enforced_w=_watts(q(nvml.nvmlDeviceGetEnforcedPowerLimit)),
        power_limit_default_w=_watts(q(nvml.nvmlDeviceGetPowerManagementDefaultLimit)),
        power_draw_w=_watts(q(nvml.nvmlDeviceGetPowerUsage)),
        clock_sm_mhz=q(nvml.nvmlDeviceGetClockInfo, nvml.NVML_CLOCK_SM),
        clock_mem_mhz=q(nvml.nvmlDeviceGetClockInfo, nvml.NVML_CLOCK_MEM),
        clock_app_sm_mhz=q(nvml.nvmlDeviceGetApplicationsClock, nvml.NVML_CLOCK_GRAPHICS),
        clock_app_mem_mhz=q(nvml.nvmlDeviceGetApplicationsClock, nvml.NVML_CLOCK_MEM),
        clock_max_sm_mhz=q(nvml.nvmlDeviceGetMaxClockInfo, nvml.NVML_CLOCK_SM),
        clock_max_mem_mhz=q(nvml.nvmlDeviceGetMaxClockInfo, nvml.NVML_CLOCK_MEM),
        temperature_c=q(nvml.nvmlDeviceGetTemperature, nvml.NVML_TEMPERATURE_GPU),
        utilization_gpu_pct=getattr(q(nvml.nvmlDeviceGetUtilizationRates), "gpu", None),
        processes=_processes(nvml, handle),
    )


def read_nvml(nvml=None) -> dict:
    """GPU facts from NVML, or the state NVML reports instead (no driver, reboot pending).

    Raises NvmlUnavailable when NVML itself cannot be loaded, so the caller can fall back to
    nvidia-smi (which may still work, e.g. the stand-in on test hosts).
    """
    nvml = nvml or load_pynvml()
    try:
        nvml.nvmlInit()
    except nvml.NVMLError_LibraryNotFound:
        raise NvmlUnavailable("NVML library (libnvidia-ml.so.1) not found") from None
    except nvml.NVMLError_DriverNotLoaded:
        return {"driver_loaded": False, "reason": "NVIDIA kernel driver is not loaded (NVML)", "gpus": []}
    except nvml.NVMLError_LibRmVersionMismatch:
        return {"driver_loaded": True, "version_mismatch": True, "gpus": [],
                "reason": "NVML: Driver/library version mismatch (installed driver differs "
                          "from the loaded kernel module: reboot pending)"}
    except nvml.NVMLError as error:
        raise NvmlUnavailable(f"NVML could not start: {error}") from None
    try:
        count = nvml.nvmlDeviceGetCount()
        return {
            "driver_loaded": True,
            "driver_version": _text(nvml.nvmlSystemGetDriverVersion()),
            "cuda_driver_version": version_from_cuda_int(
                _safe(nvml, nvml.nvmlSystemGetCudaDriverVersion)),
            "gpus": [_device(nvml, index) for index in range(count)],
        }
    except nvml.NVMLError as error:
        # A GPU lost from the bus fails the handle lookup; nvidia-smi says what it can.
        raise NvmlUnavailable(f"NVML failed reading the GPUs: {error}") from None
    finally:
        nvml.nvmlShutdown()
