"""The kernel side of run telemetry, for real: a process inside a cgroup with a CPU quota burns
more CPU than the quota gives, and the timeline and its summary show the throttling."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.telemetry_summary import summarise
from tests.pytest_plugins.paths import REPO
from tests.testhosts.testhosts import cgroup_parent

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="making a cgroup needs root")

BURN = textwrap.dedent("""
    import pathlib, sys, time
    from fleetbench_harness.telemetry import TelemetrySampler
    with TelemetrySampler(pathlib.Path(sys.argv[1]), 0.25):
        end = time.monotonic() + 2.5
        while time.monotonic() < end:
            sum(range(10000))
""")


@pytest.fixture
def quota_cgroup():
    """A cgroup of its own allowed 0.2 cores, removed afterwards."""
    cgroup = cgroup_parent() / f"fb-telemetry-test-{os.getpid()}"
    cgroup.mkdir()
    if (cgroup / "cpu.cfs_quota_us").exists():
        (cgroup / "cpu.cfs_period_us").write_text("100000")
        (cgroup / "cpu.cfs_quota_us").write_text("20000")
    else:
        (cgroup.parent / "cgroup.subtree_control").write_text("+cpu")
        (cgroup / "cpu.max").write_text("20000 100000")
    yield cgroup
    cgroup.rmdir()


def burn_inside(cgroup: pathlib.Path, output: pathlib.Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO / "harness" / "src")}
    subprocess.run(["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec "$0" -c "$1" "$2"',
                    sys.executable, BURN, str(output)], check=True, env=env, timeout=60)
    return json.loads((output / "telemetry.json").read_text())


def test_a_run_inside_a_cpu_quota_shows_its_throttling(quota_cgroup, tmp_path):
    summary = summarise(burn_inside(quota_cgroup, tmp_path))
    host = summary["host"]
    assert host["cpu_quota_cores"] == 0.2
    # One busy thread wants a whole core and gets a fifth of one: throttled almost every period.
    assert host["cpu_throttled_share"] > 0.5, host
    assert host["cpu_throttled_s"] > 1.0, host
    if "cpu_used_cores" in host:  # cgroup v2, or v1 with cpuacct mounted beside cpu
        assert host["cpu_used_cores"] == pytest.approx(0.2, abs=0.08), host


def test_a_run_without_a_quota_shows_no_throttling(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "harness" / "src")}
    subprocess.run([sys.executable, "-c", BURN.replace("2.5", "0.8"), str(tmp_path)], check=True, env=env, timeout=60)
    host = summarise(json.loads((tmp_path / "telemetry.json").read_text()))["host"]
    assert host.get("cpu_throttled_share", 0.0) == 0.0 and host["cpu_quota_cores"] is None
