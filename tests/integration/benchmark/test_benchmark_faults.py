"""Every fault the benchmark must survive, at once, on namespaced SSH test hosts with the real
harness on vLLM's CPU build. One playbook run (fleet mode), one host per fault:

node1 healthy | node2 unreachable from the start | node3 harness SIGKILLed mid-run |
node4 engine fails to load (broken weights) | node5 run exceeds its timeout |
node6 full disk under the output folder | node7 unknown scenario | node8 negative QPS |
node9 lost mid-run (sshd and its sessions gone) | node10 LoadGen INVALID (TTFT bound of 1 ns)

For each: the others finish, the cause is one line with host, scenario and log folder, partial
logs are on the controller, and the play and the results name the failed hosts.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import threading
import time

import pytest

from tests.pytest_plugins.benchmark import fleet_vars, run_benchmark, write_inventory
from tests.testhosts import testhosts as th

pytestmark = [pytest.mark.testhosts, pytest.mark.vllm, pytest.mark.slow]

RUN_ID = "faults"
HOSTS = [f"node{i}" for i in range(1, 11)]
REMOTE_RUN = pathlib.PurePosixPath("var/lib/fleetbench/runs") / RUN_ID


def status_on(host: th.Host, scenario: str = "Offline") -> dict | None:
    path = host.root / REMOTE_RUN / scenario / "performance" / "1" / "fleetbench_status.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def when_phase(host: th.Host, phases: set[str], action, stop: threading.Event) -> threading.Thread:
    """Do `action(status)` once the host's run reaches one of `phases`."""
    def watch():
        while not stop.is_set():
            status = status_on(host)
            if status and status.get("phase") in phases:
                action(status)
                return
            time.sleep(0.5)
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def lose_host(host: th.Host) -> None:
    """The host drops off the network as far as SSH goes: listener and open sessions end."""
    th.stop_sshd(host)
    for pid in th.host_pids(host):
        try:
            if pathlib.Path(f"/proc/{pid}/comm").read_text().strip() == "sshd":
                os.kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


def broken_model(tiny_model: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    shutil.copytree(tiny_model, folder)
    for weights in folder.glob("*.safetensors"):
        weights.write_bytes(b"not weights")
    return folder


@pytest.fixture(scope="module")
def faults(testhosts, tiny_model, tiny_dataset, tmp_path_factory, artifacts_dir):
    fleet = testhosts(len(HOSTS))
    fleet.reset(*HOSTS)
    work = tmp_path_factory.mktemp("faults")
    fleet.ssh("node6", "mkdir -p /srv/full && mount -t tmpfs -o size=64k tmpfs /srv/full"
                       " && (dd if=/dev/zero of=/srv/full/fill bs=4k || true)", check=True)
    host_vars = {
        "node4": {"fleetbench_model": {"source": "controller", "name": "broken-llama",
                                       "path": str(broken_model(tiny_model, work / "broken-llama"))}},
        "node5": {"fleetbench_run_timeout": 25},
        "node6": {"fleetbench_runs_dir": "/srv/full/runs"},
        "node7": {"fleetbench_scenarios": ["Offline", "Bogus"]},
        "node8": {"fleetbench_loadgen_settings": {"target_qps": -5}},
        "node10": {"fleetbench_scenarios": ["Server"], "fleetbench_loadgen_settings": {"ttft_latency": 1}},
    }
    inventory = write_inventory(work / "faults.json", fleet_vars(tiny_model, tiny_dataset, work / "cache"), host_vars)
    th.stop_sshd(fleet.host("node2"))
    stop = threading.Event()
    watchers = [
        when_phase(fleet.host("node3"), {"loading_model", "warmup", "running"},
                   lambda status: os.kill(status["pid"], signal.SIGKILL), stop),
        when_phase(fleet.host("node9"), {"loading_model", "warmup", "running"},
                   lambda _: lose_host(fleet.host("node9")), stop),
    ]
    try:
        run = run_benchmark([fleet.inventory, inventory], artifacts_dir / "benchmark-faults", RUN_ID,
                            extra_vars={"fleetbench_fleet_mode": "fleet"}, timeout=1500)
    finally:
        stop.set()
        for thread in watchers:
            thread.join(timeout=5)
        for name in ("node2", "node9"):
            fleet.start_sshd(name)
    return run


def failure_line(run, host: str) -> str:
    lines = run.summary["failure_lines"].get(host, [])
    assert len(lines) == 1, f"{host}: {lines}\n{run.explain()}"
    return lines[0]


def test_the_healthy_host_finishes_with_complete_results(faults):
    (record,) = faults.records("node1")
    assert record["status"] == "complete" and record["valid"] is True, faults.explain()
    assert (faults.run_dir / "node1" / "Offline" / "performance" / "mlperf_log_detail.txt").is_file()


def test_the_play_fails_and_names_exactly_the_failed_hosts(faults):
    assert faults.process.returncode != 0
    assert sorted(faults.summary["failed_hosts"]) == sorted(HOSTS[1:]), faults.explain()
    recap = faults.process.stdout[faults.process.stdout.rindex("PLAY RECAP"):]
    assert "failed=0" in recap.split("node1 ")[1].splitlines()[0]
    for host in HOSTS[1:]:
        assert f"fatal: [{host}]" in faults.process.stdout, host


def test_unreachable_from_the_start(faults):
    assert failure_line(faults, "node2").startswith("node2: check failed: unreachable:")


def test_sigkill_mid_run_is_named_with_scenario_and_partial_logs_kept(faults):
    line = failure_line(faults, "node3")
    assert line.startswith("node3 Offline/performance #1: harness killed by SIGKILL"), line
    logs = faults.run_dir / "node3" / "Offline" / "performance"
    assert f"(logs: {logs})" in line
    assert (logs / "fleetbench_status.json").is_file() and (logs / "harness.log").is_file()


def test_engine_failing_to_load(faults):
    line = failure_line(faults, "node4")
    assert line.startswith("node4 Offline/performance #1: harness exit "), line
    assert (faults.run_dir / "node4" / "Offline" / "performance" / "harness.log").is_file()


def test_timeout_stops_the_process_tree(faults, testhosts):
    line = failure_line(faults, "node5")
    assert line.startswith("node5 Offline/performance #1: timed out after 25 s"), line
    pids = th.host_pids(testhosts(len(HOSTS)).host("node5"))
    commands = [pathlib.Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids if pathlib.Path(f"/proc/{pid}").exists()]
    assert not [c for c in commands if b"fleetbench-harness" in c or b"fleetbench_harness" in c]


def test_full_disk_on_the_output_folder(faults):
    line = failure_line(faults, "node6")
    assert line.startswith("node6 Offline/performance #1:") and "No space left on device" in line, line


def test_unknown_scenario_is_refused_before_anything_runs(faults):
    line = failure_line(faults, "node7")
    assert line.startswith("node7: check failed: node7: bad benchmark variables") and "Bogus" in line, line
    assert not (faults.run_dir / "node7").exists()


def test_negative_qps_is_refused_before_anything_runs(faults):
    assert failure_line(faults, "node8") == (
        "node8: check failed: node8: LoadGen setting target_qps=-5 must not be negative")


def test_host_lost_mid_run_keeps_the_partial_status_on_the_controller(faults):
    line = failure_line(faults, "node9")
    assert line.startswith("node9 Offline/performance #1: host lost mid-run:") and "10.231." in line, line
    assert (faults.run_dir / "node9" / "Offline" / "performance" / "fleetbench_status.json").is_file()


def test_loadgen_invalid_is_a_failed_run_with_its_reasons(faults):
    line = failure_line(faults, "node10")
    assert line.startswith("node10 Server/performance #1: LoadGen INVALID:"), line
    (record,) = faults.records("node10")
    assert record["valid"] is False and record["status"] == "complete"


def test_the_fleet_total_counts_only_hosts_whose_run_is_final(faults):
    (total,) = [t for t in faults.summary["fleet_totals"] if t["scenario"] == "Offline"]
    assert total["hosts_counted"] == ["node1"]
    assert total["total"] == faults.records("node1")[0]["headline"]["value"]
    assert set(total["hosts_missing"]) == set(HOSTS[1:])
