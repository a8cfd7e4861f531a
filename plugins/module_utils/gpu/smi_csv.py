# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]`.

Units sit in the header (`memory.used [MiB]`) and, without `nounits`, in every cell as well
(`81559 MiB`); unsupported values are `[N/A]` or `[Requested functionality has been
deprecated]`; the last row may lack its newline.
"""
from __future__ import annotations

import csv
import io

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import (
    MAX_CSV_LINE_CHARS,
    GpuOutputError,
    check_lines,
    integer,
    new_gpu,
    number,
    require_usable,
    switch,
    text_value,
)

# What the module asks for. Every field here is accepted by drivers from R450 on;
# cuda_version is deliberately absent: some drivers reject it and one bad field fails the
# whole query. The CUDA version comes from the default table's header instead.
QUERY_FIELDS = (
    "index", "name", "uuid", "pci.bus_id", "driver_version", "vbios_version",
    "pcie.link.gen.current", "pcie.link.gen.max", "pcie.link.width.current",
    "pcie.link.width.max", "memory.total", "memory.used", "persistence_mode",
    "mig.mode.current", "ecc.mode.current", "compute_mode", "enforced.power.limit",
    "power.default_limit", "power.draw", "clocks.current.sm", "clocks.current.memory",
    "clocks.applications.graphics", "clocks.applications.memory", "clocks.max.sm",
    "clocks.max.memory", "temperature.gpu", "utilization.gpu",
)
PROCESS_QUERY_FIELDS = ("gpu_uuid", "pid", "process_name", "used_memory")

# GPU record key -> (converter, query field names, first reported wins)
_FIELD_MAP = {
    "index": (integer, ("index",)),
    "name": (text_value, ("name", "gpu_name")),
    "uuid": (text_value, ("uuid", "gpu_uuid")),
    "pci_bus_id": (text_value, ("pci.bus_id", "gpu_bus_id")),
    "vbios_version": (text_value, ("vbios_version",)),
    "pcie_gen_current": (integer, ("pcie.link.gen.current",)),
    "pcie_gen_max": (integer, ("pcie.link.gen.max",)),
    "pcie_width_current": (integer, ("pcie.link.width.current",)),
    "pcie_width_max": (integer, ("pcie.link.width.max",)),
    "memory_total_mib": (integer, ("memory.total",)),
    "memory_used_mib": (integer, ("memory.used",)),
    "persistence_mode": (switch, ("persistence_mode",)),
    "mig_mode": (switch, ("mig.mode.current",)),
    "ecc_mode": (switch, ("ecc.mode.current",)),
    "compute_mode": (text_value, ("compute_mode",)),
    "power_limit_enforced_w": (number, ("enforced.power.limit", "power.limit")),
    "power_limit_default_w": (number, ("power.default_limit",)),
    "power_draw_w": (number, ("power.draw", "power.draw.average", "power.draw.instant")),
    "clock_sm_mhz": (integer, ("clocks.current.sm", "clocks.sm")),
    "clock_mem_mhz": (integer, ("clocks.current.memory", "clocks.mem")),
    "clock_app_sm_mhz": (integer, ("clocks.applications.graphics", "clocks.applications.gr")),
    "clock_app_mem_mhz": (integer, ("clocks.applications.memory", "clocks.applications.mem")),
    "clock_max_sm_mhz": (integer, ("clocks.max.sm",)),
    "clock_max_mem_mhz": (integer, ("clocks.max.memory", "clocks.max.mem")),
    "temperature_c": (integer, ("temperature.gpu",)),
    "utilization_gpu_pct": (integer, ("utilization.gpu",)),
    "fabric_state": (text_value, ("fabric.state",)),
}


def _field_name(cell: str) -> str:
    """'memory.used [MiB]' -> 'memory.used' (string operations: a pattern with `\\s*` before
    the bracket was quadratic in the spaces of a cell)."""
    name = cell.strip()
    opening = name.rfind("[")
    if name.endswith("]") and opening >= 0 and "]" not in name[opening:-1]:
        name = name[:opening].rstrip()
    return name


def _rows(text: str) -> list:
    check_lines(text, "nvidia-smi CSV", MAX_CSV_LINE_CHARS)
    try:
        return [row for row in csv.reader(io.StringIO(text.strip()), skipinitialspace=True) if row]
    except csv.Error as error:
        # A lone carriage return inside a row, a NUL, a field over the csv module's limit.
        raise GpuOutputError(f"nvidia-smi CSV is not readable CSV ({error})", text) from None


def parse_query_csv(text: str, fields: tuple | list | None = None) -> list:
    """Rows as {field: raw cell}; `fields` names the columns when the output has no header."""
    rows = _rows(text)
    if not rows:
        raise GpuOutputError("nvidia-smi CSV query printed no rows", text)
    if fields is None:
        fields = [_field_name(cell) for cell in rows[0]]
        rows = rows[1:]
    parsed = []
    for row in rows:
        if len(row) != len(fields):
            raise GpuOutputError(
                f"nvidia-smi CSV row has {len(row)} cells for {len(fields)} fields", text)
        parsed.append({field: cell.strip() for field, cell in zip(fields, row)})
    return parsed


def _convert(row: dict, converter, names: tuple):
    for name in names:
        if name in row:
            value = converter(row[name])
            if value is not None:
                return value
    return None


def gpus_from_rows(rows: list, processes: list | None = None) -> list:
    """One GPU record per CSV row; process rows (from --query-compute-apps) join by UUID."""
    gpus = []
    for position, row in enumerate(rows):
        gpu = new_gpu(**{key: _convert(row, conv, names) for key, (conv, names) in _FIELD_MAP.items()})
        if gpu["index"] is None:
            gpu["index"] = position
        gpu["processes"] = [
            {"pid": integer(proc.get("pid")),
             "name": text_value(proc.get("process_name") or proc.get("name")),
             "used_memory_mib": integer(proc.get("used_memory") or proc.get("used_gpu_memory"))}
            for proc in processes or [] if proc.get("gpu_uuid") == gpu["uuid"]
        ]
        gpus.append(gpu)
    return require_usable(gpus, "nvidia-smi CSV", str(rows[:1]))


def driver_version_from_rows(rows: list) -> str | None:
    versions = {text_value(row.get("driver_version")) for row in rows} - {None}
    return versions.pop() if len(versions) == 1 else None
