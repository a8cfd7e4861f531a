"""The controller's CPU read from /proc while ansible-playbook runs: a tree, waited-for children included."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from benchmarks.proc_cpu import own_cpu_seconds, tree_cpu_seconds

BURN = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n"


def test_a_live_grandchild_and_a_reaped_one_both_count():
    script = (f"import subprocess, sys, time\nsubprocess.run([sys.executable, '-c', {BURN!r}])\n"
              f"p = subprocess.Popen([sys.executable, '-c', {BURN!r} + 'time.sleep(30)'])\ntime.sleep(30)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while tree_cpu_seconds(parent.pid) < 1.1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tree_cpu_seconds(parent.pid) >= 1.1
        assert own_cpu_seconds(parent.pid) < 0.5
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


def test_a_process_that_is_gone_counts_nothing():
    assert tree_cpu_seconds(2**22 + 12345) == 0.0
