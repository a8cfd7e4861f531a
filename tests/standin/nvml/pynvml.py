"""Stand-in ``pynvml`` (nvidia-ml-py) for GPU-less machines: the NVML boundary, as the stand-in
``nvidia-smi`` is the command-line one. Put this folder first on PYTHONPATH.

It reads the same state file as tests/standin/nvidia_smi.py ($FLEETBENCH_STANDIN_STATE) on every
call, so a test that rewrites the file (a GPU under load, a power cap) is seen at the next sample,
and both readers describe one machine. Only the calls fleetbench makes are here; the state keys
and defaults are the stand-in nvidia-smi's. Extra state key: "energy_mj" per GPU (the
total-energy counter; absent: NotSupported, as on GPUs before Volta).
"""
from __future__ import annotations

import importlib.util
import pathlib
import types

_SMI = pathlib.Path(__file__).resolve().parents[1] / "nvidia_smi.py"
_spec = importlib.util.spec_from_file_location("fleetbench_standin_nvidia_smi", _SMI)
_smi = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_smi)

NVML_CLOCK_GRAPHICS, NVML_CLOCK_SM, NVML_CLOCK_MEM = 0, 1, 2
NVML_TEMPERATURE_GPU = 0
NVML_FEATURE_DISABLED, NVML_FEATURE_ENABLED = 0, 1
NVML_MEMORY_ERROR_TYPE_CORRECTED, NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 0, 1
NVML_VOLATILE_ECC = 0
_COMPUTE_MODES = {"Default": 0, "Exclusive_Thread": 1, "Prohibited": 2, "Exclusive_Process": 3}


class NVMLError(Exception):
    pass


class NVMLError_LibraryNotFound(NVMLError):  # noqa: N801 - pynvml's names
    pass


class NVMLError_DriverNotLoaded(NVMLError):  # noqa: N801
    pass


class NVMLError_LibRmVersionMismatch(NVMLError):  # noqa: N801
    pass


class NVMLError_NotSupported(NVMLError):  # noqa: N801
    pass


def _state() -> dict:
    try:
        state = _smi.load_state()
        _smi.check_driver(state)
    except _smi.StandinError as error:
        if "mismatch" in str(error).lower():
            raise NVMLError_LibRmVersionMismatch("Driver/library version mismatch") from None
        raise NVMLError_DriverNotLoaded("Driver Not Loaded") from None
    return state


def _gpu(handle: int) -> dict:
    gpus = _state()["gpus"]
    if not 0 <= handle < len(gpus):
        raise NVMLError("Invalid Argument")
    return gpus[handle]


def _supported(value):
    if value is None:
        raise NVMLError_NotSupported("Not Supported")
    return value


def _milli(watts):
    return int(round(_supported(watts) * 1000))


def nvmlInit():  # noqa: N802 - pynvml's names from here on
    _state()


def nvmlShutdown():  # noqa: N802
    pass


def nvmlSystemGetDriverVersion():  # noqa: N802
    return _state()["driver_version"]


def nvmlSystemGetCudaDriverVersion():  # noqa: N802
    major, minor = (int(part) for part in _state()["cuda_version"].split(".")[:2])
    return major * 1000 + minor * 10


def nvmlSystemGetProcessName(pid):  # noqa: N802
    for gpu in _state()["gpus"]:
        for process in gpu.get("processes") or []:
            if process["pid"] == pid:
                return process["name"]
    raise NVMLError("Not Found")


def nvmlDeviceGetCount():  # noqa: N802
    return len(_state()["gpus"])


def nvmlDeviceGetHandleByIndex(index):  # noqa: N802
    _gpu(index)
    return index


def nvmlDeviceGetName(handle):  # noqa: N802
    return _gpu(handle)["name"]


def nvmlDeviceGetUUID(handle):  # noqa: N802
    return _gpu(handle)["uuid"]


def nvmlDeviceGetPciInfo(handle):  # noqa: N802
    return types.SimpleNamespace(busId=_gpu(handle)["bus_id"])


def nvmlDeviceGetVbiosVersion(handle):  # noqa: N802
    return _supported(_gpu(handle)["vbios"])


def nvmlDeviceGetCurrPcieLinkGeneration(handle):  # noqa: N802
    return _supported(_gpu(handle)["pcie"]["gen"])


def nvmlDeviceGetMaxPcieLinkGeneration(handle):  # noqa: N802
    return _supported(_gpu(handle)["pcie"]["gen_max"])


def nvmlDeviceGetCurrPcieLinkWidth(handle):  # noqa: N802
    return _supported(_gpu(handle)["pcie"]["width"])


def nvmlDeviceGetMaxPcieLinkWidth(handle):  # noqa: N802
    return _supported(_gpu(handle)["pcie"]["width_max"])


def nvmlDeviceGetMemoryInfo(handle):  # noqa: N802
    gpu = _gpu(handle)
    mib = 1024 * 1024
    return types.SimpleNamespace(total=gpu["memory_total_mib"] * mib, used=gpu["memory_used_mib"] * mib,
                                 free=(gpu["memory_total_mib"] - gpu["memory_used_mib"]) * mib)


def _feature(value):
    return NVML_FEATURE_ENABLED if _supported(value) else NVML_FEATURE_DISABLED


def nvmlDeviceGetPersistenceMode(handle):  # noqa: N802
    return _feature(_gpu(handle)["persistence"])


def nvmlDeviceGetMigMode(handle):  # noqa: N802
    mode = _feature(_gpu(handle)["mig"])
    return [mode, mode]


def nvmlDeviceGetEccMode(handle):  # noqa: N802
    mode = _feature(_gpu(handle)["ecc"])
    return [mode, mode]


def nvmlDeviceGetComputeMode(handle):  # noqa: N802
    return _COMPUTE_MODES[_gpu(handle)["compute_mode"]]


def nvmlDeviceGetEnforcedPowerLimit(handle):  # noqa: N802
    return _milli(_gpu(handle)["power_limit_w"])


def nvmlDeviceGetPowerManagementDefaultLimit(handle):  # noqa: N802
    return _milli(_gpu(handle)["default_power_limit_w"])


def nvmlDeviceGetPowerUsage(handle):  # noqa: N802
    return _milli(_gpu(handle)["power_draw_w"])


_CLOCK_KEYS = {NVML_CLOCK_GRAPHICS: "graphics", NVML_CLOCK_SM: "sm", NVML_CLOCK_MEM: "mem"}


def nvmlDeviceGetClockInfo(handle, kind):  # noqa: N802
    return _supported(_gpu(handle)["clocks"][_CLOCK_KEYS[kind]])


def nvmlDeviceGetApplicationsClock(handle, kind):  # noqa: N802
    return _supported(_gpu(handle)["clocks"]["app_mem" if kind == NVML_CLOCK_MEM else "app_sm"])


def nvmlDeviceGetMaxClockInfo(handle, kind):  # noqa: N802
    return _supported(_gpu(handle)["clocks"]["max_mem" if kind == NVML_CLOCK_MEM else "max_sm"])


def nvmlDeviceGetTemperature(handle, kind):  # noqa: N802, ARG001 - the GPU sensor is the only one
    return _supported(_gpu(handle)["temperature_c"])


def nvmlDeviceGetUtilizationRates(handle):  # noqa: N802
    gpu = _gpu(handle)
    return types.SimpleNamespace(gpu=_supported(gpu["utilization_pct"]), memory=_supported(gpu["memory_utilization_pct"]))


def nvmlDeviceGetComputeRunningProcesses(handle):  # noqa: N802
    return [types.SimpleNamespace(pid=p["pid"], usedGpuMemory=p["used_memory_mib"] * 1024 * 1024)
            for p in _gpu(handle).get("processes") or []]


def nvmlDeviceGetCurrentClocksEventReasons(handle):  # noqa: N802
    return sum(_smi.REASON_BITS[name] for name in _gpu(handle)["clock_event_reasons"] or [])


def nvmlDeviceGetTotalEccErrors(handle, kind, counter):  # noqa: N802, ARG001 - volatile is the only counter kept
    errors = _gpu(handle)["ecc_errors"]
    return _supported(errors["corrected" if kind == NVML_MEMORY_ERROR_TYPE_CORRECTED else "uncorrected"])


def nvmlDeviceGetTotalEnergyConsumption(handle):  # noqa: N802
    return _supported(_gpu(handle).get("energy_mj"))
