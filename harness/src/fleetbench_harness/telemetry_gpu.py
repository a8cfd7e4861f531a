"""What the GPUs do while a run is measured: clocks, power, temperature, utilisation, clock
event (throttle) reasons, PCIe link, ECC errors and the energy counter.

NVML (nvidia-ml-py, imported as pynvml) first; where it cannot be imported or initialised,
`nvidia-smi --query-gpu=... --format=csv -lms N` in one long-lived process (one process, not
one per sample: the sampler must not cost what it measures). Neither: no GPU telemetry, said so.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import threading

log = logging.getLogger("fleetbench_harness")

# NVML's clock event reason bits (nvmlClocksEventReason*, formerly ...ThrottleReason*).
REASON_BITS = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}


def reason_names(mask: int) -> list[str]:
    return [name for bit, name in REASON_BITS.items() if mask & bit]


class GpuUnavailable(Exception):
    """No GPU telemetry source here; the message says why."""


class NvmlReader:
    source = "nvml"

    def __init__(self) -> None:
        try:
            import pynvml  # noqa: PLC0415 - optional: GPU hosts only
        except ImportError as error:
            raise GpuUnavailable(f"pynvml not importable ({error})") from None
        try:
            pynvml.nvmlInit()
        except Exception as error:  # noqa: BLE001 - pynvml.NVMLError and friends
            raise GpuUnavailable(f"NVML did not initialise: {error}") from None
        self.nvml = pynvml
        self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]

    def sample(self) -> list[dict]:
        return [self._device(index, handle) for index, handle in enumerate(self.handles)]

    def energy_mj(self) -> list[int | None]:
        return [self._call("nvmlDeviceGetTotalEnergyConsumption", h) for h in self.handles]

    def close(self) -> None:
        self._call("nvmlShutdown")

    def _call(self, name: str, *args):
        try:
            return getattr(self.nvml, name)(*args)
        except Exception:  # noqa: BLE001 - NotSupported on this GPU or driver: leave it out
            return None

    def _device(self, index: int, handle) -> dict:
        n = self.nvml
        power_mw = self._call("nvmlDeviceGetPowerUsage", handle)
        limit_mw = self._call("nvmlDeviceGetEnforcedPowerLimit", handle)
        util = self._call("nvmlDeviceGetUtilizationRates", handle)
        reasons = self._call("nvmlDeviceGetCurrentClocksEventReasons", handle)
        if reasons is None:
            reasons = self._call("nvmlDeviceGetCurrentClocksThrottleReasons", handle)
        device = {
            "index": index,
            "sm_clock_mhz": self._call("nvmlDeviceGetClockInfo", handle, n.NVML_CLOCK_SM),
            "mem_clock_mhz": self._call("nvmlDeviceGetClockInfo", handle, n.NVML_CLOCK_MEM),
            "power_w": None if power_mw is None else power_mw / 1000,
            "power_limit_w": None if limit_mw is None else limit_mw / 1000,
            "temperature_c": self._call("nvmlDeviceGetTemperature", handle, n.NVML_TEMPERATURE_GPU),
            "gpu_util_pct": None if util is None else util.gpu,
            "mem_util_pct": None if util is None else util.memory,
            "clock_event_reasons": None if reasons is None else reason_names(int(reasons)),
            "pcie_gen": self._call("nvmlDeviceGetCurrPcieLinkGeneration", handle),
            "pcie_width": self._call("nvmlDeviceGetCurrPcieLinkWidth", handle),
            "ecc_corrected": self._ecc(handle, n.NVML_MEMORY_ERROR_TYPE_CORRECTED),
            "ecc_uncorrected": self._ecc(handle, n.NVML_MEMORY_ERROR_TYPE_UNCORRECTED),
        }
        return {k: v for k, v in device.items() if v is not None}

    def _ecc(self, handle, kind):
        return self._call("nvmlDeviceGetTotalEccErrors", handle, kind, self.nvml.NVML_VOLATILE_ECC)


# nvidia-smi query field -> (sample key, parser). The reasons field was renamed in driver 535.
SMI_FIELDS = {
    "index": ("index", int),
    "clocks.sm": ("sm_clock_mhz", float),
    "clocks.mem": ("mem_clock_mhz", float),
    "power.draw": ("power_w", float),
    "enforced.power.limit": ("power_limit_w", float),
    "temperature.gpu": ("temperature_c", float),
    "utilization.gpu": ("gpu_util_pct", float),
    "utilization.memory": ("mem_util_pct", float),
    "clocks_event_reasons.active": ("clock_event_reasons", lambda v: reason_names(int(v, 16))),
    "pcie.link.gen.current": ("pcie_gen", int),
    "pcie.link.width.current": ("pcie_width", int),
    "ecc.errors.corrected.volatile.total": ("ecc_corrected", int),
    "ecc.errors.uncorrected.volatile.total": ("ecc_uncorrected", int),
}
NEW_REASONS_FIELD, OLD_REASONS_FIELD = "clocks_event_reasons.active", "clocks_throttle_reasons.active"
SMI_FIELDS_BY_NAME = {**SMI_FIELDS, OLD_REASONS_FIELD: SMI_FIELDS[NEW_REASONS_FIELD]}


class SmiLoopReader:
    """`nvidia-smi --query-gpu=... -lms N` in the background; sample() returns the latest rows."""

    source = "nvidia-smi"

    def __init__(self, interval_s: float, smi: str | None = None) -> None:
        self.smi = smi or shutil.which("nvidia-smi")
        if not self.smi:
            raise GpuUnavailable("no nvidia-smi on PATH")
        self.fields = self._accepted_fields()
        self.latest: dict[int, dict] = {}
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [self.smi, f"--query-gpu={','.join(self.fields)}", "--format=csv,noheader,nounits",
             f"-lms={max(int(interval_s * 1000), 100)}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.thread = threading.Thread(target=self._read, name="nvidia-smi-reader", daemon=True)
        self.thread.start()

    def _accepted_fields(self) -> list[str]:
        """The fields this driver accepts: one unknown field fails the whole query, so an
        unknown field is dropped (the reasons field falls back to its pre-535 name) and the
        query tried again."""
        fields = list(SMI_FIELDS)
        while fields:
            result = subprocess.run([self.smi, f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"],
                                    capture_output=True, text=True, timeout=30, check=False)
            if result.returncode == 0:
                return fields
            said = result.stdout + result.stderr
            rejected = next((f for f in fields if f'"{f}"' in said), None)
            if rejected is None or rejected == "index":
                raise GpuUnavailable(f"nvidia-smi --query-gpu failed: {' '.join(said.split())[:200]}")
            fields = [OLD_REASONS_FIELD if f == rejected == NEW_REASONS_FIELD else f
                      for f in fields if f != rejected or f == NEW_REASONS_FIELD]
        raise GpuUnavailable("nvidia-smi accepted none of the telemetry fields")

    def _read(self) -> None:
        for line in self.process.stdout:
            row = self._parse(line)
            if row is not None:
                with self.lock:
                    self.latest[row["index"]] = row

    def _parse(self, line: str) -> dict | None:
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(self.fields):
            return None
        row = {}
        for field, cell in zip(self.fields, cells):
            key, parse = SMI_FIELDS_BY_NAME[field]
            if cell in ("[N/A]", "N/A", "[Not Supported]", ""):
                continue
            try:
                row[key] = parse(cell)
            except ValueError:
                continue
        return row if "index" in row else None

    def sample(self) -> list[dict]:
        with self.lock:
            return [dict(self.latest[i]) for i in sorted(self.latest)]

    def energy_mj(self) -> list[int | None]:
        return []

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def open_gpu_reader(interval_s: float):
    """(reader or None, how GPU telemetry is read or why there is none)."""
    reasons = []
    for make in (NvmlReader, lambda: SmiLoopReader(interval_s)):
        try:
            reader = make()
        except GpuUnavailable as error:
            reasons.append(str(error))
            continue
        return reader, reader.source
    return None, "none: " + "; ".join(reasons)
