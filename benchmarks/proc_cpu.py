"""CPU seconds of a running process tree, read from /proc while it runs (rusage waits for the end).

A process's stat line holds its own user and system time and those of its children it has
already waited for; summing that over the live tree counts every process that ran in it.
"""
from __future__ import annotations

import os
import pathlib

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def tree_cpu_seconds(root: int, descend: bool = True) -> float:
    """User + system seconds of `root` and (`descend`) its live descendants, waited-for children included."""
    children: dict[int, list[int]] = {}
    fields: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat:
                fields[int(entry)] = stat
                children.setdefault(int(stat[1]), []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        stat = fields.get(pid)
        if stat:
            # utime, stime, cutime, cstime are fields 14-17 of stat: 11-14 after the state.
            total += sum(int(value) for value in stat[11:15])
        if descend:
            todo.extend(children.get(pid, []))
    return total / TICK


def own_cpu_seconds(pid: int) -> float:
    """User + system seconds of `pid` itself, its children left out."""
    stat = _stat(pid)
    return sum(int(value) for value in stat[11:13]) / TICK if stat else 0.0


def ssh_master_cpu_seconds(control_dir: str) -> float:
    """User + system seconds of the persistent ssh masters whose control sockets live in
    `control_dir`: they carry every connection to their host, and leave the tree that started them."""
    total = 0
    needle = control_dir.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = pathlib.Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        stat = _stat(int(entry)) if cmdline.startswith(b"ssh: ") and needle in cmdline else None
        if stat:
            total += sum(int(value) for value in stat[11:13])
    return total / TICK
