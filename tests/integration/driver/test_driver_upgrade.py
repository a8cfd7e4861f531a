"""playbooks/driver_upgrade.yml on three real Debian test hosts over SSH, with real apt, holds and
the stand-in driver packages: a rolling upgrade, canary first, that stops at the first failure."""
from __future__ import annotations

import concurrent.futures
import json
import time

import pytest

from tests.pytest_plugins.driver import PlaybookRun, run_playbook
from tests.pytest_plugins.testhosts import REPO
from tests.testhosts.slurm import start_slurm, wait_for_states

pytestmark = [pytest.mark.testhosts, pytest.mark.slow]

UPGRADE_PLAYBOOK = REPO / "playbooks" / "driver_upgrade.yml"
# The stand-in repository names packages as NVIDIA's CUDA repository for Ubuntu does before 590.
STANDIN_VARS = {
    "fleetbench_driver_package_scheme": "branch_in_name",
    "fleetbench_driver_flavour": "open",
    "fleetbench_driver_kernel_headers": False,
}
TARGET = {**STANDIN_VARS, "fleetbench_driver_version": "575.64.03", "fleetbench_cuda_version": "12.9"}
PINNED = {
    "535.183.01": {**STANDIN_VARS, "fleetbench_driver_version": "535.183.01", "fleetbench_cuda_version": "12.2"},
    "570.133.07": {**STANDIN_VARS, "fleetbench_driver_version": "570.133.07", "fleetbench_cuda_version": "12.8"},
    "575.57.08": {**STANDIN_VARS, "fleetbench_driver_version": "575.57.08", "fleetbench_cuda_version": "12.9"},
    "575.64.03": TARGET,
}
PACKAGES_575 = {"nvidia-driver-575-open", "nvidia-utils-575", "nvidia-dkms-575-open", "nvidia-kernel-common-575",
                "cuda-toolkit-12-9"}
BUSY_PROCESS = {"pid": 4242, "name": "python3", "used_memory_mib": 20480}


@pytest.fixture
def fleet(testhosts):
    fleet = testhosts(3)
    fleet.reset("node1", "node2", "node3")
    return fleet


def pin(fleet, versions: dict[str, str]) -> None:
    """Pin each host to a driver with the nvidia_driver role, all hosts at once."""
    with concurrent.futures.ThreadPoolExecutor(len(versions)) as pool:
        runs = {host: pool.submit(run_playbook, fleet.inventory, host, PINNED[version])
                for host, version in versions.items()}
    for host, run in runs.items():
        assert run.result().rc == 0, run.result().failure_messages(host) or run.result().stdout[-3000:]


def apt_pin(fleet, host: str, version: str) -> None:
    """The state a pin leaves, made quickly: exact versions installed with apt and held."""
    branch, cuda = version.split(".")[0], PINNED[version]["fleetbench_cuda_version"].replace(".", "-")
    packages = [f"{name}={version}-0ubuntu1" for name in (f"nvidia-driver-{branch}-open", f"nvidia-utils-{branch}",
                                                          f"nvidia-kernel-common-{branch}", f"nvidia-dkms-{branch}-open")]
    packages.append(f"cuda-toolkit-{cuda}")
    names = " ".join(p.split("=")[0] for p in packages)
    done = fleet.ssh(host, "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                           f"{' '.join(packages)} && apt-mark hold {names}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def loaded_module(fleet, host: str) -> str:
    return fleet.ssh(host, "cat /etc/fleetbench-standin/loaded-module", check=True).stdout


def upgrade(fleet, **extra) -> PlaybookRun:
    return run_playbook(fleet.inventory, "node1,node2,node3", {**TARGET, **extra}, playbook=UPGRADE_PLAYBOOK)


def installed(fleet, host: str) -> dict[str, str]:
    listed = fleet.ssh(host, r"dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n' 'nvidia-*' 'cuda-*'", check=True)
    # Status "ii " installed, "hi " installed and held; the second letter is the package state.
    return {name: version for name, version, status in
            (line.split("\t") for line in listed.stdout.splitlines()) if status[1:2] == "i"}


def held(fleet, host: str) -> set[str]:
    return set(fleet.ssh(host, "apt-mark showhold", check=True).stdout.split())


def smi_driver(fleet, host: str) -> str:
    return fleet.ssh(host, "nvidia-smi --query-gpu=driver_version --format=csv,noheader").stdout.strip()


def dpkg_log(fleet, host: str) -> str:
    return fleet.ssh(host, "cat /var/log/dpkg.log", check=True).stdout


def summary(run: PlaybookRun) -> dict:
    stats = next(e for e in run.events if e.get("event") == "playbook_on_stats")
    return stats["event_data"]["artifact_data"]["fleetbench_driver_upgrade"]


def first_event_counter(run: PlaybookRun, host: str, task: str) -> int:
    return min(e["counter"] for e in run.events if e.get("event") in ("runner_on_ok", "runner_on_failed")
               and e["event_data"].get("host") == host and e["event_data"].get("task") == task)


def test_drift_then_rolling_upgrade_brings_535_570_575_to_one_exact_build(fleet, tmp_path):
    pin(fleet, {"node1": "535.183.01", "node2": "570.133.07", "node3": "575.57.08"})
    gate = fleet.playbook("playbooks/preflight.yml",
                          extra_vars={"fleetbench_results_dir": str(tmp_path), "fleetbench_run_id": "before"})
    assert gate.returncode != 0
    assert "driver differs" in gate.stdout
    drift = json.loads((tmp_path / "before" / "drift.json").read_text())
    driver = next(r for r in drift["fields"] if r["field"] == "driver")
    assert driver["values"] == {"node1": "535.183.01", "node2": "570.133.07", "node3": "575.57.08"}

    run = upgrade(fleet, fleetbench_upgrade_serial=2)

    assert run.rc == 0, [run.failure_messages(h) for h in fleet.names] or run.stdout[-3000:]
    for host in fleet.names:
        assert set(installed(fleet, host)) == PACKAGES_575, host
        assert set(installed(fleet, host).values()) == {"575.64.03-0ubuntu1", "12.9.1-1"}
        assert held(fleet, host) == PACKAGES_575
        assert smi_driver(fleet, host) == "575.64.03"
    assert [(h["host"], h["before"], h["after"], h["status"]) for h in summary(run)["hosts"]] == [
        ("node1", "535.183.01", "575.64.03", "upgraded"),
        ("node2", "570.133.07", "575.64.03", "upgraded"),
        ("node3", "575.57.08", "575.64.03", "upgraded")]
    # The canary is rebooted on the new driver before any other host is even looked at.
    canary_done = first_event_counter(run, "node1", "Reboot to load the new driver")
    assert all(canary_done < first_event_counter(run, h, "Read the driver state with gpu_facts") for h in ("node2", "node3"))

    gate = fleet.playbook("playbooks/preflight.yml",
                          extra_vars={"fleetbench_results_dir": str(tmp_path), "fleetbench_run_id": "after"})
    assert gate.returncode == 0, gate.stdout[-3000:]


def test_apt_get_upgrade_on_a_held_host_does_not_move_the_driver(fleet):
    apt_pin(fleet, "node1", "575.57.08")
    before = installed(fleet, "node1")

    upgraded = fleet.ssh("node1", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y "
                                  "&& DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y")

    assert upgraded.returncode == 0, upgraded.stderr
    assert "The following packages have been kept back" in upgraded.stdout or "0 upgraded" in upgraded.stdout
    assert installed(fleet, "node1") == before
    assert before["nvidia-driver-575-open"] == "575.57.08-0ubuntu1"
    assert smi_driver(fleet, "node1") == "575.57.08"


def test_a_busy_gpu_blocks_the_upgrade_and_the_roll_stops_at_that_host(fleet):
    for host in fleet.names:
        apt_pin(fleet, host, "570.133.07")
    state = fleet.read_json("node1", "/etc/fleetbench-standin/gpu.json")
    state["gpus"][0]["processes"] = [BUSY_PROCESS]
    fleet.write_json("node1", "/etc/fleetbench-standin/gpu.json", state)
    untouched = {h: dpkg_log(fleet, h) for h in ("node2", "node3")}

    run = upgrade(fleet)

    assert run.rc != 0
    messages = " ".join(run.failure_messages("node1"))
    assert "GPU compute processes are running (4242 python3)" in messages
    assert "fleetbench_upgrade_force" in messages
    for host in fleet.names:
        assert installed(fleet, host)["nvidia-driver-570-open"] == "570.133.07-0ubuntu1"
    assert {h: dpkg_log(fleet, h) for h in ("node2", "node3")} == untouched
    assert summary(run)["untouched"] == ["node2", "node3"]
    assert summary(run)["hosts"][0]["status"] == "failed"

    forced = run_playbook(fleet.inventory, "node1", {**TARGET, "fleetbench_upgrade_force": True}, playbook=UPGRADE_PLAYBOOK)

    assert forced.rc == 0, forced.failure_messages("node1") or forced.stdout[-3000:]
    assert smi_driver(fleet, "node1") == "575.64.03"


def test_a_failed_upgrade_stops_the_roll_and_the_hosts_after_it_are_untouched(fleet):
    for host in fleet.names:
        apt_pin(fleet, host, "570.133.07")
    # node2's new kernel module fails to build, as DKMS does for an unsupported kernel.
    fleet.ssh("node2", "touch /etc/fleetbench-standin/dkms-build-fails", check=True)
    node3_log = dpkg_log(fleet, "node3")

    run = upgrade(fleet, fleetbench_upgrade_serial=1)

    assert run.rc != 0
    assert smi_driver(fleet, "node1") == "575.64.03"
    assert any("Bad return status for module build" in m or "nvidia-dkms-575-open" in m
               for m in run.failure_messages("node2")), run.failure_messages("node2")
    assert "570.133.07" in loaded_module(fleet, "node2")  # no reboot happened: the old module is still loaded
    assert installed(fleet, "node3")["nvidia-driver-570-open"] == "570.133.07-0ubuntu1"
    assert dpkg_log(fleet, "node3") == node3_log
    assert [(h["host"], h["status"]) for h in summary(run)["hosts"]] == [("node1", "upgraded"), ("node2", "failed")]
    assert summary(run)["untouched"] == ["node3"]
    assert "node3                    -            -            not reached, untouched" in run.stdout


def test_check_mode_reports_the_upgrade_and_changes_nothing(fleet):
    apt_pin(fleet, "node1", "570.133.07")
    before = dpkg_log(fleet, "node1")

    run = run_playbook(fleet.inventory, "node1", TARGET, check=True, playbook=UPGRADE_PLAYBOOK)

    assert run.rc == 0, run.failure_messages("node1") or run.stdout[-3000:]
    assert summary(run)["hosts"] == [{"host": "node1", "before": "570.133.07", "after": "575.64.03",
                                      "status": "would upgrade", "message": ""}]
    assert dpkg_log(fleet, "node1") == before
    assert smi_driver(fleet, "node1") == "570.133.07"


def test_slurm_nodes_are_drained_for_the_upgrade_and_resumed_after(testhosts):
    fleet = testhosts(4)
    fleet.reset("node1", "node2", "node4")
    for host in ("node1", "node2"):
        apt_pin(fleet, host, "570.133.07")
    start_slurm(fleet, controller="node4", nodes=["node1", "node2"])
    job = fleet.ssh("node4", "sbatch --parsable --nodelist node2 --wrap 'sleep 15'", check=True).stdout.strip()
    wait_for_job(fleet, job, "RUNNING")

    run = run_playbook(fleet.inventory, "node1,node2", {**TARGET, "fleetbench_upgrade_slurm": True,
                                                       "fleetbench_upgrade_slurm_host": "node4"},
                       playbook=UPGRADE_PLAYBOOK)

    assert run.rc == 0, [run.failure_messages(h) for h in ("node1", "node2")] or run.stdout[-3000:]
    assert smi_driver(fleet, "node1") == smi_driver(fleet, "node2") == "575.64.03"
    # The job drained away on its own: the upgrade waited for it instead of killing it.
    assert "JobState=COMPLETED" in fleet.ssh("node4", f"scontrol show job {job}", check=True).stdout
    log = fleet.ssh("node4", "cat /var/log/slurm/slurmctld.log", check=True).stdout
    for node in ("node1", "node2"):
        assert f"node {node} reason set to: fleetbench driver upgrade to 575.64.03" in log
    # Back in service after the reboot: slurmd re-registered and the drain was lifted.
    wait_for_states(fleet, "node4", ["node1", "node2"], {"idle"}, timeout=120)


def wait_for_job(fleet, job: str, state: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while fleet.ssh("node4", f"squeue --noheader --jobs {job} --format %T").stdout.strip() != state:
        assert time.monotonic() < deadline, f"Slurm job {job} not {state} after {timeout:.0f} s"
        time.sleep(1)
