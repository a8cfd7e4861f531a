"""Keep the harness's own threads, and vLLM's engine core, off the CPUs that vLLM's CPU worker
binds its OpenMP threads to.

vLLM's CPU build pins the worker's compute threads to some CPUs and leaves the others for the
scheduler ("reserved" CPUs), but it never pins the processes around the worker. On a small host
the kernel then now and then runs the harness's threads (LoadGen's, the engine loop, the
telemetry sampler) or the engine core on a worker CPU, and every such slice is taken from the
model's compute: measured on 2 CPUs, Offline runs fell into a slow and a fast group depending
on where those threads landed. A GPU build binds nothing, and then nothing is moved."""
from __future__ import annotations

import os
from typing import Callable, Iterable

Affinity = Callable[[int], set[int]]


def keep_off_worker_cpus(root_pid: int | None = None, get_affinity: Affinity = os.sched_getaffinity,
                         set_affinity: Callable[[int, set[int]], None] = os.sched_setaffinity,
                         processes: Callable[[int], Iterable] | None = None) -> dict | None:
    """Move every thread of this process and of its child processes that bind nothing to the
    CPUs no worker thread is bound to. Returns what was done for the run record, or None when no
    thread is bound (nothing to keep off) or the bound threads leave no CPU free."""
    root_pid = os.getpid() if root_pid is None else root_pid
    processes = processes or _process_tree
    try:
        everything = get_affinity(root_pid)
    except OSError:
        return None
    threads_by_process = {pid: _readable_affinities(tids, get_affinity) for pid, tids in processes(root_pid)}
    bound = set().union(*(cpus for affinities in threads_by_process.values()
                          for cpus in affinities.values() if cpus < everything))
    free = everything - bound
    if not bound or not free:
        return None
    moved = 0
    for affinities in threads_by_process.values():
        if any(cpus < everything for cpus in affinities.values()):
            continue  # a worker process: vLLM placed it
        for tid in affinities:
            try:
                set_affinity(tid, free)
                moved += 1
            except OSError:  # the thread ended since it was listed
                continue
    return {"worker_cpus": sorted(bound), "harness_cpus": sorted(free), "threads_moved": moved}


def _readable_affinities(tids: Iterable[int], get_affinity: Affinity) -> dict[int, set[int]]:
    affinities = {}
    for tid in tids:
        try:
            affinities[tid] = get_affinity(tid)
        except OSError:  # the thread ended since it was listed
            continue
    return affinities


def _process_tree(root_pid: int) -> list[tuple[int, list[int]]]:
    """(pid, thread ids) of the process and all its descendants."""
    try:
        import psutil
    except ImportError:  # a venv without it (vLLM brings it): placement is an optimisation, not a need
        return []
    try:
        root = psutil.Process(root_pid)
        processes = [root, *root.children(recursive=True)]
    except (psutil.Error, OSError):  # no /proc to read
        return []
    tree = []
    for process in processes:
        try:
            tree.append((process.pid, [thread.id for thread in process.threads()]))
        except (psutil.Error, OSError):  # it exited since it was listed
            continue
    return tree
