# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read `nvidia-smi -q` text: an indented tree of `Label : value` lines.

Kept for saved outputs (MLPerf submissions store `nvidia-smi -q` as gpu_info.txt); the
module itself reads NVML or XML. Labels changed across branches (`Gpu`/`GPU` utilisation,
`Power Readings`/`GPU Power Readings`, `Power Limit`/`Current Power Limit`), so each value
has several label paths.
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
)

# The separator is whitespace, a colon, then a space or the end: bus ids ("GPU 00000000:00:09.0")
# and times in values carry bare colons. Searched for as a fixed-width pattern: a lazy key
# group before `\s+:` backtracked once per space and took seconds on a long line.
_SEPARATOR = re.compile(r"\s:(?:\s|$)")
_GPU_SECTION = re.compile(r"^GPU\s+(?P<bus>[0-9A-Fa-f]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+\.[0-9A-Fa-f])$")


def _tree(text: str) -> list:
    """Nested nodes {key, value, children}; duplicate labels keep their order."""
    root: list = []
    stack = [(-1, root)]
    started = False
    for line in text.splitlines():
        if "NVSMI LOG" in line:
            started = True
            continue
        if not started or not line.strip():
            continue
        indent, key, value = _split_line(line.rstrip())
        node = {"key": key, "value": value, "children": []}
        while stack[-1][0] >= indent:
            stack.pop()
        stack[-1][1].append(node)
        stack.append((indent, node["children"]))
    return root


def _split_line(line: str) -> tuple[int, str, str | None]:
    """(indent, lower-case label, value or None) of one `  Label   : value` line."""
    rest = line.lstrip(" ")
    indent = len(line) - len(rest)
    found = _SEPARATOR.search(rest, 1)
    if found is None:
        return indent, rest.strip().lower(), None
    value = rest[found.end():] if found.group(0)[-1:].isspace() else None
    return indent, rest[:found.start()].strip().lower(), value


def _get(nodes: list, *labels: str) -> dict | None:
    for label in labels[:1]:
        for node in nodes:
            if node["key"] == label.lower():
                return node if len(labels) == 1 else _get(node["children"], *labels[1:])
    return None


def _value(nodes: list, *paths: tuple) -> str | None:
    for path in paths:
        node = _get(nodes, *path)
        if node is not None:
            value = text_value(node["value"])
            if value is not None:
                return value
    return None


def _processes(section: dict | None) -> list:
    if section is None:
        return []
    found = []
    for node in section["children"]:
        if node["key"] == "process id":
            found.append({
                "pid": integer(node["value"]),
                "name": _value(node["children"], ("name",)),
                "used_memory_mib": integer(_value(node["children"], ("used gpu memory",))),
            })
    return found


def _gpu(index: int, bus: str, nodes: list) -> dict:
    link = ("pci", "gpu link info")
    return new_gpu(
        index=index,
        name=_value(nodes, ("product name",)),
        uuid=_value(nodes, ("gpu uuid",)),
        pci_bus_id=_value(nodes, ("pci", "bus id")) or bus,
        vbios_version=_value(nodes, ("vbios version",)),
        pcie_gen_current=integer(_value(nodes, (*link, "pcie generation", "current"))),
        pcie_gen_max=integer(_value(nodes, (*link, "pcie generation", "max"))),
        pcie_width_current=integer(_value(nodes, (*link, "link width", "current"))),
        pcie_width_max=integer(_value(nodes, (*link, "link width", "max"))),
        memory_total_mib=integer(_value(nodes, ("fb memory usage", "total"))),
        memory_used_mib=integer(_value(nodes, ("fb memory usage", "used"))),
        persistence_mode=switch(_value(nodes, ("persistence mode",))),
        mig_mode=switch(_value(nodes, ("mig mode", "current"))),
        ecc_mode=switch(_value(nodes, ("ecc mode", "current"))),
        compute_mode=_value(nodes, ("compute mode",)),
        power_limit_enforced_w=number(_value(
            nodes, ("gpu power readings", "current power limit"),
            ("power readings", "enforced power limit"), ("power readings", "power limit"))),
        power_limit_default_w=number(_value(
            nodes, ("gpu power readings", "default power limit"),
            ("power readings", "default power limit"))),
        power_draw_w=number(_value(
            nodes, ("gpu power readings", "power draw"), ("gpu power readings", "average power draw"),
            ("gpu power readings", "instantaneous power draw"), ("power readings", "power draw"))),
        clock_sm_mhz=integer(_value(nodes, ("clocks", "sm"))),
        clock_mem_mhz=integer(_value(nodes, ("clocks", "memory"))),
        clock_app_sm_mhz=integer(_value(nodes, ("applications clocks", "graphics"))),
        clock_app_mem_mhz=integer(_value(nodes, ("applications clocks", "memory"))),
        clock_max_sm_mhz=integer(_value(nodes, ("max clocks", "sm"))),
        clock_max_mem_mhz=integer(_value(nodes, ("max clocks", "memory"))),
        temperature_c=integer(_value(nodes, ("temperature", "gpu current temp"))),
        utilization_gpu_pct=integer(_value(nodes, ("utilization", "gpu"))),
        fabric_state=_value(nodes, ("fabric", "state")),
        processes=_processes(_get(nodes, "processes")),
    )


def parse_smi_text(text: str) -> dict:
    """Driver/CUDA version, attached GPU count and one record per `GPU <bus id>` section."""
    tree = _tree("\n".join(check_lines(text, "nvidia-smi -q text")))
    if not tree:
        raise GpuOutputError("nvidia-smi -q text has no '==NVSMI LOG==' section", text)
    sections = [(node, _GPU_SECTION.match(node["key"].upper())) for node in tree]
    gpus = [_gpu(n, found["bus"], node["children"])
            for n, (node, found) in enumerate((s for s in sections if s[1]))]
    return {
        "driver_version": _value(tree, ("driver version",)),
        "cuda_driver_version": _value(tree, ("cuda version",)),
        "attached_gpus": integer(_value(tree, ("attached gpus",))),
        "gpus": require_usable(gpus, "nvidia-smi -q text", text),
    }
