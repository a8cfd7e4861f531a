# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the default `nvidia-smi` table (79-, 89- and 91-column layouts).

The table is for people and its layout changes between branches, so it is read by cells
between `|` separators rather than by column positions. The module's live path never needs
it except for the CUDA version, which only the table header and the XML carry.
"""
from __future__ import annotations

import re

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu_record import (
    GpuOutputError,
    integer,
    new_gpu,
    number,
    switch,
    text_value,
)

_HEADER = re.compile(
    r"NVIDIA-SMI\s+(?P<smi>\S+)\s+Driver Version:\s+(?P<driver>\S+)\s+CUDA Version:\s+(?P<cuda>\S+)")
_GPU_CELL = re.compile(r"^\s*(?P<index>\d+)\s+(?P<name>.+?)\s+(?P<persistence>On|Off|N/A)\s*$")
_BUS_CELL = re.compile(r"^\s*(?P<bus>[0-9A-Fa-f]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+\.[0-9A-Fa-f])\s+\S+\s*$")
_STATE_CELL = re.compile(
    r"^\s*(?P<fan>\S+)\s+(?P<temp>\S+)\s+(?P<perf>\S+)\s+(?P<draw>\S+)\s*/\s*(?P<cap>\S+)\s*$")
_MEMORY_CELL = re.compile(r"^\s*(?P<used>\d+)MiB\s*/\s*(?P<total>\d+)MiB\s*$")
_UTIL_CELL = re.compile(r"^\s*(?P<util>\S+)\s+(?P<mode>.+?)\s*$")
_PROCESS_ROW = re.compile(
    r"^\|\s+(?P<gpu>\d+)\s+(?P<gi>\S+)\s+(?P<ci>\S+)\s+(?P<pid>\d+)\s+(?P<type>\S+)\s+"
    r"(?P<name>.+?)\s+(?P<mem>\d+MiB|N/A)\s*\|$")


def _cells(line: str) -> list:
    return line.strip().strip("|").split("|")


def _ecc(cell: str) -> bool | None:
    # The column is the volatile uncorrectable error count: a number means ECC is on.
    value = text_value(cell)
    if value is None:
        return None
    if value.isdigit():
        return True
    return switch(value)


def _gpu_from_rows(first: list, second: list, third: list | None) -> dict:
    head = _GPU_CELL.match(first[0])
    bus = _BUS_CELL.match(first[1]) if len(first) > 1 else None
    state = _STATE_CELL.match(second[0])
    memory = _MEMORY_CELL.match(second[1]) if len(second) > 1 else None
    util = _UTIL_CELL.match(second[2]) if len(second) > 2 else None
    return new_gpu(
        index=int(head["index"]),
        name=head["name"].strip(),
        persistence_mode=switch(head["persistence"]),
        pci_bus_id=bus["bus"] if bus else None,
        ecc_mode=_ecc(first[2]) if len(first) > 2 else None,
        temperature_c=integer(state["temp"]) if state else None,
        power_draw_w=number(state["draw"]) if state else None,
        power_limit_enforced_w=number(state["cap"]) if state else None,
        memory_used_mib=int(memory["used"]) if memory else None,
        memory_total_mib=int(memory["total"]) if memory else None,
        utilization_gpu_pct=integer(util["util"]) if util else None,
        compute_mode=text_value(util["mode"]) if util else None,
        mig_mode=switch(third[2]) if third and len(third) > 2 else None,
    )


def _processes(lines: list) -> list:
    found = []
    for line in lines:
        row = _PROCESS_ROW.match(line.strip())
        if row:
            found.append({"gpu": int(row["gpu"]), "pid": int(row["pid"]),
                          "name": row["name"].strip(), "used_memory_mib": integer(row["mem"])})
    return found


def parse_smi_table(text: str) -> dict:
    """Driver and CUDA version from the header, GPU rows, and the process table."""
    header = _HEADER.search(text)
    if not header:
        raise GpuOutputError("nvidia-smi table has no 'Driver Version' header", text)
    lines = text.splitlines()
    split = next((n for n, line in enumerate(lines) if "Processes:" in line), len(lines))
    rows = [_cells(line) for line in lines[:split] if line.strip().startswith("|")]
    gpus = []
    for n, cells in enumerate(rows):
        if not _GPU_CELL.match(cells[0]) or n + 1 >= len(rows):
            continue
        third = rows[n + 2] if n + 2 < len(rows) and not rows[n + 2][0].strip() else None
        gpus.append(_gpu_from_rows(cells, rows[n + 1], third))
    for proc in _processes(lines[split:]):
        owner = next((gpu for gpu in gpus if gpu["index"] == proc.pop("gpu")), None)
        if owner is not None:
            owner["processes"].append(proc)
    return {
        "driver_version": text_value(header["driver"]),
        "cuda_driver_version": text_value(header["cuda"]),
        "gpus": gpus,
    }
