"""A run's files come back as one checked archive over real SSH, and the host's copy goes only
after they did. The harness is a stand-in shell script (benchmarks/controller_cost): what is
tested here is the watching and the collecting, which do not depend on what the harness computes."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.pytest_plugins.paths import REPO

pytestmark = [pytest.mark.testhosts]

PLAYBOOK = REPO / "benchmarks" / "controller_cost" / "watch_and_collect.yml"
RUNS = "var/lib/fleetbench-bench/runs"
FILES = ["fleetbench_run.json", "fleetbench_status.json", "harness.log", "mlperf_log_accuracy.json",
         "mlperf_log_detail.txt", "mlperf_log_summary.txt", "mlperf_log_trace.json", "telemetry.json"]


@pytest.fixture(scope="module")
def host(testhosts):
    fleet = testhosts(1)
    fleet.reset("node1")
    folder = fleet.host("node1").root / "opt" / "fleetbench-standin"
    (folder / "model").mkdir(parents=True, exist_ok=True)
    (folder / "dataset.json").write_text("[]\n")
    shutil.copy(REPO / "benchmarks" / "controller_cost" / "standin-harness.sh", folder / "fleetbench-harness")
    (folder / "fleetbench-harness").chmod(0o755)
    return fleet


def run(fleet, tmp_path, run_id: str, **extra):
    extra_vars = {"fleetbench_run_id": run_id, "fleetbench_results_dir": str(tmp_path), "fleetbench_poll_interval": 1,
                  "fleetbench_profile": "quick", "fleetbench_loadgen_settings": {"min_duration": 4000}, **extra}
    process = fleet.playbook(PLAYBOOK, extra_vars=extra_vars, timeout=300)
    assert process.returncode == 0, process.stdout[-4000:] + process.stderr[-2000:]
    return process, tmp_path / run_id / "node1" / "Offline" / "performance"


def test_files_come_back_in_one_archive_and_the_host_copy_goes_after(host, tmp_path):
    process, local = run(host, tmp_path, "archive-removed", fleetbench_remove_host_runs=True)
    for name in FILES:
        assert (local / name).is_file(), name
    assert json.loads((local / "fleetbench_status.json").read_text())["phase"] == "done"
    assert (local / "mlperf_log_detail.txt").stat().st_size > 100_000
    assert not list(local.glob(".fleetbench-*")), "no staging folder or archive left on the controller"
    cost = json.loads((local / "fleetbench_controller.json").read_text())
    assert cost["looks"]["module_polls"] == 1 and cost["looks"]["reads"] >= 2
    assert set(cost["controller_cpu_s"]) == {"start", "watch", "collect"}
    assert "fleetbench [node1] Offline/performance #1: running" in process.stdout
    root = host.host("node1").root
    assert not (root / RUNS / "archive-removed" / "Offline" / "performance" / "1").exists()
    assert not (root / RUNS / "archive-removed" / "Offline" / "performance" / "1.control").exists()
    assert not list((root / "tmp").glob("fleetbench-run-*")), "the archive is removed from the host"


def test_the_host_copy_stays_by_default(host, tmp_path):
    _, local = run(host, tmp_path, "archive-kept")
    kept = host.host("node1").root / RUNS / "archive-kept" / "Offline" / "performance" / "1"
    assert sorted(p.name for p in kept.iterdir()) == FILES
    assert (local / "harness.log").read_bytes() == (kept / "harness.log").read_bytes()


def test_files_that_cannot_come_back_stay_on_the_host_with_a_one_line_cause(host, tmp_path):
    """The controller's disk is full: the progress files fit, the archive does not."""
    full = tmp_path / "full"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(full)], check=True)
    try:
        process, local = run(host, full, "archive-failed", fleetbench_remove_host_runs=True)
        left = sorted(p.name for p in local.iterdir())
    finally:
        subprocess.run(["umount", str(full)], check=True)
    kept = host.host("node1").root / RUNS / "archive-failed" / "Offline" / "performance" / "1"
    assert sorted(p.name for p in kept.iterdir()) == FILES
    assert not [name for name in left if name.startswith(".fleetbench-")], left
    lines = [line for line in process.stdout.splitlines() if "files not brought back, still on the host" in line]
    assert lines, process.stdout[-3000:]
    assert "node1: /var/lib/fleetbench-bench/runs/archive-failed/Offline/performance/1:" in lines[0]
    assert "Traceback" not in process.stdout + process.stderr


def test_the_same_run_id_again_reads_the_measured_run_instead_of_repeating_it(host, tmp_path):
    _, local = run(host, tmp_path, "again", fleetbench_remove_host_runs=True)
    first_log = (local / "harness.log").read_bytes()
    on_host = host.host("node1").root / RUNS / "again" / "Offline" / "performance" / "1"
    assert not on_host.exists()

    second, _ = run(host, tmp_path, "again", fleetbench_remove_host_runs=True)

    assert re.search(r"TASK \[[^]]*Start the harness: Offline/performance #1\][^\n]*\nok: \[node1\]", second.stdout), \
        second.stdout[-3000:]
    assert "fleetbench [node1] Offline/performance #1: running" not in second.stdout
    assert "changed=0" in second.stdout.split("PLAY RECAP", 1)[1], second.stdout[-2000:]
    assert not on_host.exists(), "nothing was started on the host"
    assert (local / "harness.log").read_bytes() == first_log

    third, _ = run(host, tmp_path, "again", fleetbench_remeasure=True)

    assert "fleetbench [node1] Offline/performance #1: running" in third.stdout
    assert sorted(p.name for p in on_host.iterdir()) == FILES


def test_a_run_that_did_not_end_done_is_measured_again_under_the_same_run_id(host, tmp_path):
    _, local = run(host, tmp_path, "retry")
    cost = local / "fleetbench_controller.json"
    cost.write_text(json.dumps({**json.loads(cost.read_text()), "outcome": "timeout"}))

    again, _ = run(host, tmp_path, "retry")

    assert "already measured" not in again.stdout
    assert "fleetbench [node1] Offline/performance #1: running" in again.stdout
    assert json.loads(cost.read_text())["outcome"] == "done"
