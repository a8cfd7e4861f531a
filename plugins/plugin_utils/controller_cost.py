# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CPU seconds the controller spends on one run, split into the stages of the run's task.

The action plugin runs in the worker process Ansible forks for the host; its CPU time and that
of the processes it waited for (ssh, local modules) is what the controller pays for that host.
"""
from __future__ import annotations

import resource


def cpu_seconds() -> float:
    """This process's CPU time plus that of its reaped children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class StageClock:
    """Charges the CPU time since the previous mark to a named stage."""

    def __init__(self) -> None:
        self._last = cpu_seconds()
        self.stages: dict[str, float] = {}

    def mark(self, stage: str) -> None:
        now = cpu_seconds()
        self.stages[stage] = round(self.stages.get(stage, 0.0) + now - self._last, 4)
        self._last = now
