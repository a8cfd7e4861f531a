# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the default `nvidia-smi` table (79-, 89- and 91-column layouts).

The table is for people and its layout changes between branches, so it is read by cells
between `|` separators rather than by column positions. The module's live path never needs
it except for the CUDA version, which only the table header and the XML carry.
"""
from __future__ import annotations

import re

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import (
    GpuOutputError,
    check_lines,
    integer,
    new_gpu,
    number,
    require_usable,
    switch,
    text_value,
    whole,
)

# Cells are split on whitespace rather than matched with `.+?` patterns: a lazy group before
# `\s+` backtracks once per space, and a cell full of spaces took seconds.
_HEADER = re.compile(
    r"NVIDIA-SMI\s+(?P<smi>\S+)\s+Driver Version:\s+(?P<driver>\S+)\s+CUDA Version:\s+(?P<cuda>\S+)")
_BUS_CELL = re.compile(r"^\s*(?P<bus>[0-9A-Fa-f]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+\.[0-9A-Fa-f])\s+\S+\s*$")
_MEMORY_CELL = re.compile(r"^\s*(?P<used>\d+)MiB\s*/\s*(?P<total>\d+)MiB\s*$")
_PERSISTENCE = ("On", "Off", "N/A")


def _gpu_cell(cell: str) -> dict | None:
    """'  0  NVIDIA H100 80GB HBM3   On ' -> index, name, persistence."""
    words = cell.split()
    if len(words) < 3 or not words[0].isdigit() or words[-1] not in _PERSISTENCE:
        return None
    return {"index": whole(words[0]), "name": " ".join(words[1:-1]), "persistence": words[-1]}


def _state_cell(cell: str) -> dict | None:
    """' N/A   33C    P0    73W / 700W ' -> temp, draw, cap ('N/A / N/A' when not reported)."""
    words = cell.split()
    if len(words) == 6 and words[4] == "/":
        return {"temp": words[1], "draw": words[3], "cap": words[5]}
    if len(words) == 5 and (words[3].endswith("/") or words[4].startswith("/")):
        return {"temp": words[1], "draw": words[3].rstrip("/"), "cap": words[4].lstrip("/")}
    return None


def _util_cell(cell: str) -> dict | None:
    words = cell.split(None, 1)
    if len(words) != 2:
        return None
    return {"util": words[0], "mode": words[1]}


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
    head = _gpu_cell(first[0]) or {}
    bus = _BUS_CELL.match(first[1]) if len(first) > 1 else None
    state = _state_cell(second[0])
    memory = _MEMORY_CELL.match(second[1]) if len(second) > 1 else None
    util = _util_cell(second[2]) if len(second) > 2 else None
    return new_gpu(
        index=head["index"],
        name=head["name"],
        persistence_mode=switch(head["persistence"]),
        pci_bus_id=bus["bus"] if bus else None,
        ecc_mode=_ecc(first[2]) if len(first) > 2 else None,
        temperature_c=integer(state["temp"]) if state else None,
        power_draw_w=number(state["draw"]) if state else None,
        power_limit_enforced_w=number(state["cap"]) if state else None,
        memory_used_mib=whole(memory["used"]) if memory else None,
        memory_total_mib=whole(memory["total"]) if memory else None,
        utilization_gpu_pct=integer(util["util"]) if util else None,
        compute_mode=text_value(util["mode"]) if util else None,
        mig_mode=switch(third[2]) if third and len(third) > 2 else None,
    )


def _process_row(line: str) -> dict | None:
    """'|    0   N/A  N/A   1234   C   python3    81000MiB |': GPU, GI, CI, PID, type, name..., memory."""
    if not (line.startswith("|") and line.endswith("|")):
        return None
    words = line[1:-1].split()
    if len(words) < 7 or not words[0].isdigit() or not words[3].isdigit():
        return None
    memory = words[-1]
    if memory != "N/A" and not (memory.endswith("MiB") and memory[:-3].isdigit()):
        return None
    return {"gpu": whole(words[0]), "pid": whole(words[3]), "name": " ".join(words[5:-1]),
            "used_memory_mib": integer(memory)}


def _processes(lines: list) -> list:
    return [row for row in (_process_row(line.strip()) for line in lines) if row is not None]


def _header(lines: list) -> re.Match | None:
    for line in lines:
        if "Driver Version:" in line:
            found = _HEADER.search(line)
            if found:
                return found
    return None


def parse_smi_table(text: str) -> dict:
    """Driver and CUDA version from the header, GPU rows, and the process table."""
    lines = check_lines(text, "nvidia-smi table")
    header = _header(lines)
    if not header:
        raise GpuOutputError("nvidia-smi table has no 'Driver Version' header", text)
    split = next((n for n, line in enumerate(lines) if "Processes:" in line), len(lines))
    rows = [_cells(line) for line in lines[:split] if line.strip().startswith("|")]
    gpus = []
    for n, cells in enumerate(rows):
        if _gpu_cell(cells[0]) is None or n + 1 >= len(rows):
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
        "gpus": require_usable(gpus, "nvidia-smi table", text),
    }
