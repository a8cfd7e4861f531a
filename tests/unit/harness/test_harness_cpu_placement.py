"""The harness keeps its own threads and the engine core off the CPUs vLLM's CPU worker binds to."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from fleetbench_harness.cpu_placement import keep_off_worker_cpus

ALL = {0, 1, 2, 3}


def _place(tree: dict[int, dict[int, set[int]]], root: int = 10):
    """Run keep_off_worker_cpus over a described process tree; returns (result, affinities after)."""
    affinity = {tid: set(cpus) for threads in tree.values() for tid, cpus in threads.items()}
    affinity[root] = affinity.get(root, set(ALL))

    def get_affinity(tid):
        if tid not in affinity:
            raise ProcessLookupError(tid)
        return affinity[tid]

    def set_affinity(tid, cpus):
        affinity[tid] = set(cpus)

    result = keep_off_worker_cpus(root, get_affinity, set_affinity,
                                  lambda _pid: [(pid, list(threads)) for pid, threads in tree.items()])
    return result, affinity


def test_the_harness_and_engine_core_move_to_the_cpus_the_worker_left_free():
    tree = {10: {10: ALL, 11: ALL},          # the harness: main thread and LoadGen's
            20: {20: ALL, 21: ALL},          # vLLM's engine core
            30: {30: {0, 1}, 31: {0, 1}}}    # vLLM's worker, its compute threads bound by OpenMP
    result, affinity = _place(tree)
    assert result == {"worker_cpus": [0, 1], "harness_cpus": [2, 3], "threads_moved": 4}
    assert all(affinity[tid] == {2, 3} for tid in (10, 11, 20, 21))
    assert affinity[30] == affinity[31] == {0, 1}


def test_a_worker_process_is_left_as_vllm_placed_it_even_its_unbound_threads():
    tree = {10: {10: ALL}, 30: {30: {0}, 32: ALL}}
    result, affinity = _place(tree)
    assert result["threads_moved"] == 1
    assert affinity[32] == ALL


def test_nothing_moves_when_no_thread_is_bound():
    tree = {10: {10: ALL, 11: ALL}, 20: {20: ALL}}
    result, affinity = _place(tree)
    assert result is None
    assert all(cpus == ALL for cpus in affinity.values())


def test_nothing_moves_when_the_workers_hold_every_cpu():
    tree = {10: {10: ALL}, 30: {30: {0, 1}}, 31: {31: {2, 3}}}
    result, affinity = _place(tree)
    assert result is None
    assert affinity[10] == ALL


def test_a_thread_that_ended_while_listed_is_skipped():
    affinity = {10: set(ALL), 30: {0}}
    listing = [(10, [10, 99]), (30, [30])]   # thread 99 exits before its affinity is read

    def get_affinity(tid):
        if tid not in affinity:
            raise ProcessLookupError(tid)
        return affinity[tid]

    result = keep_off_worker_cpus(10, get_affinity, lambda tid, cpus: affinity.__setitem__(tid, set(cpus)),
                                  lambda _pid: listing)
    assert result == {"worker_cpus": [0], "harness_cpus": [1, 2, 3], "threads_moved": 1}
    assert affinity[10] == {1, 2, 3}


CHILDREN_SCRIPT = textwrap.dedent("""
    import json, os, sys, time, multiprocessing as mp
    from fleetbench_harness.cpu_placement import keep_off_worker_cpus

    def worker(first_cpu, ready):
        os.sched_setaffinity(0, {first_cpu})   # as OpenMP binds vLLM's compute thread
        ready.set(); time.sleep(60)

    def engine_core(ready):
        ready.set(); time.sleep(60)

    if __name__ == "__main__":
        everything = os.sched_getaffinity(0)
        first = min(everything)
        ctx = mp.get_context("spawn")
        ready = [ctx.Event(), ctx.Event()]
        procs = [ctx.Process(target=worker, args=(first, ready[0])), ctx.Process(target=engine_core, args=(ready[1],))]
        for p in procs: p.start()
        for r in ready: r.wait(30)
        result = keep_off_worker_cpus()
        after = {name: sorted(os.sched_getaffinity(p.pid)) for name, p in zip(("worker", "engine_core"), procs)}
        after["harness"] = sorted(os.sched_getaffinity(0))
        for p in procs: p.kill()
        print(json.dumps({"result": result, "after": after, "first": first, "everything": sorted(everything)}))
""")


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs: one for the worker, one left free")
def test_real_processes_the_unbound_child_and_the_harness_leave_the_workers_cpu(tmp_path):
    script = tmp_path / "tree.py"
    script.write_text(CHILDREN_SCRIPT)
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                               env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, check=True)
    out = json.loads(completed.stdout.strip().splitlines()[-1])
    rest = [cpu for cpu in out["everything"] if cpu != out["first"]]
    assert out["result"]["worker_cpus"] == [out["first"]]
    assert out["result"]["harness_cpus"] == rest
    assert out["after"] == {"worker": [out["first"]], "engine_core": rest, "harness": rest}
