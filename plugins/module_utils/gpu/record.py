# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-GPU record every reader (NVML, nvidia-smi XML, CSV, table, -q text) returns.

Every key is always present; None means the driver did not report it (N/A, [N/A],
"Requested functionality has been deprecated", [Not Supported]) or the source has no such
field (the default table has no VBIOS, for example).
"""
from __future__ import annotations

import math
import re
import typing as t

GPU_KEYS = (
    "index", "name", "uuid", "pci_bus_id", "vbios_version",
    "pcie_gen_current", "pcie_gen_max", "pcie_width_current", "pcie_width_max",
    "memory_total_mib", "memory_used_mib",
    "persistence_mode", "mig_mode", "ecc_mode", "compute_mode",
    "power_limit_enforced_w", "power_limit_default_w", "power_draw_w",
    "clock_sm_mhz", "clock_mem_mhz", "clock_app_sm_mhz", "clock_app_mem_mhz",
    "clock_max_sm_mhz", "clock_max_mem_mhz",
    "temperature_c", "utilization_gpu_pct", "fabric_state", "processes",
)
PROCESS_KEYS = ("pid", "name", "used_memory_mib")

_NOT_REPORTED = re.compile(
    r"^\[?(n/a|not supported|requested functionality has been deprecated|unknown error|"
    r"insufficient permissions|not available|unknown)\]?$",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?")
# No GPU reports a value near this; anything larger is garbage, not a reading.
_LARGEST = 1e15
# nvidia-smi lines are under 200 characters (a CSV row of every query field about 3,000); a
# longer one is not nvidia-smi output, and bounding it keeps every per-line pattern cheap.
MAX_LINE_CHARS = 4096
MAX_CSV_LINE_CHARS = 65536
# Fields that identify a GPU: a record with none of them read nothing usable.
_IDENTITY_KEYS = ("name", "uuid", "pci_bus_id", "memory_total_mib")
_ON = {"enabled", "on", "yes", "true", "1"}
_OFF = {"disabled", "off", "no", "false", "0"}


class GpuOutputError(ValueError):
    """Output of a GPU tool that cannot be read; the message quotes what was read."""

    def __init__(self, what: str, text: str):
        snippet = " ".join((text or "")[:2000].split())[:200]
        super().__init__(f"{what}: got {snippet!r}")


def new_gpu(**values: t.Any) -> dict:
    gpu = dict.fromkeys(GPU_KEYS)
    gpu["processes"] = []
    unknown = set(values) - set(GPU_KEYS)
    if unknown:
        raise KeyError(f"not GPU record keys: {sorted(unknown)}")
    gpu.update(values)
    return gpu


def text_value(raw: str | None) -> str | None:
    """Strip a value and map every spelling of "not reported" to None."""
    if raw is None:
        return None
    value = raw.strip()
    if not value or _NOT_REPORTED.match(value):
        return None
    return value


def number(raw: str | None) -> float | None:
    """Leading number of a value such as '700.00 W', '81559 MiB', '16x', '0 %'; None when
    there is none or it is too large to be a reading (a 400-digit 'number' is garbage)."""
    value = text_value(raw)
    if value is None:
        return None
    found = _NUMBER.match(value)
    if not found:
        return None
    result = float(found.group(0))
    return result if math.isfinite(result) and abs(result) < _LARGEST else None


def integer(raw: str | None) -> int | None:
    value = number(raw)
    return None if value is None else int(round(value))


def whole(raw: str | None) -> int | None:
    """A cell that must be all digits (an index, a MiB count), or None."""
    value = text_value(raw)
    if value is None or not value.isdigit() or len(value) > 15:
        return None
    return int(value)


def switch(raw: str | None) -> bool | None:
    """Enabled/Disabled, On/Off -> True/False; N/A -> None."""
    value = text_value(raw)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _ON:
        return True
    if lowered in _OFF:
        return False
    return None


def check_lines(text: str, what: str, limit: int = MAX_LINE_CHARS) -> list[str]:
    """The lines of `text`; raises GpuOutputError naming the first line too long to be real."""
    lines = text.splitlines()
    for lineno, line in enumerate(lines, 1):
        if len(line) > limit:
            raise GpuOutputError(
                f"{what} line {lineno} is {len(line)} characters long (over {limit}): not nvidia-smi output",
                line[:200])
    return lines


def require_usable(gpus: list, what: str, text: str) -> list:
    """`gpus`, or GpuOutputError when GPUs were found but not one field that identifies them:
    garbage shaped like the format must not pass as a GPU with every value unknown."""
    if gpus and not any(gpu[key] is not None for gpu in gpus for key in _IDENTITY_KEYS):
        raise GpuOutputError(f"{what}: {len(gpus)} GPU entr{'y' if len(gpus) == 1 else 'ies'} but no name, UUID, "
                             "bus id or memory size in any", text)
    return gpus


def version_from_cuda_int(value: int | None) -> str | None:
    """NVML's 12020 -> '12.2' (major * 1000 + minor * 10)."""
    if not value:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"
