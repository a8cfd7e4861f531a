"""The drift gate over real SSH: namespaced Debian hosts with stand-in driver packages
installed by apt, gpu_facts reading dpkg, apt-mark and the stand-in nvidia-smi there."""
from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.testhosts, pytest.mark.slow]

LOADED_MODULE = "/etc/fleetbench-standin/loaded-module"
OLD_570_BANNER = ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.124.06  Release Build  "
                  "(dvs-builder@U22-I3-AF03-09-1)  Thu Feb 27 17:04:12 UTC 2025\n")


def apt_install(fleet, host: str, *packages: str) -> None:
    done = fleet.ssh(host, "DEBIAN_FRONTEND=noninteractive apt-get update -qq && "
                           f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {' '.join(packages)}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture(scope="module")
def fleet(testhosts):
    fleet = testhosts(3)
    fleet.reset("node1", "node2", "node3")
    apt_install(fleet, "node1", "nvidia-driver-570-open")
    apt_install(fleet, "node2", "nvidia-driver-570-open")
    apt_install(fleet, "node3", "nvidia-driver-535")
    assert fleet.ssh("node1", "apt-mark hold nvidia-driver-570-open").returncode == 0
    yield fleet
    fleet.start_sshd("node3")


def run_preflight(fleet, tmp_path, **extra):
    variables = {"fleetbench_results_dir": str(tmp_path), "fleetbench_run_id": "gate",
                 "fleetbench_gpu_facts_options": {"method": "csv", "proc_version_path": LOADED_MODULE}, **extra}
    proc = fleet.playbook("playbooks/preflight.yml", extra_vars=variables)
    drift_file = tmp_path / "gate" / "drift.json"
    return proc, json.loads(drift_file.read_text()) if drift_file.exists() else None


def row(drift: dict, field: str) -> dict:
    return next(r for r in drift["fields"] if r["field"] == field)


def test_branch_flavour_and_pending_reboot_differences_are_named(fleet, tmp_path):
    # node2 was upgraded in place: the module still loaded is the older build.
    fleet.ssh("node2", f"printf '%s' '{OLD_570_BANNER}' > {LOADED_MODULE}", check=True)

    proc, drift = run_preflight(fleet, tmp_path)

    assert proc.returncode != 0
    assert drift["down"] == []
    # node2's user-space driver cannot talk to the older module, so it reports no version.
    assert row(drift, "driver")["deviations"] == {"node2": None, "node3": "535.247.01"}
    assert row(drift, "cuda")["deviations"] == {"node2": None, "node3": "12.2"}
    assert row(drift, "kernel_module")["values"] == {
        "node1": "570.133.07 / open", "node2": "570.124.06 / open", "node3": "535.247.01 / proprietary"}
    assert row(drift, "reboot_pending")["values"] == {"node1": False, "node2": True, "node3": False}
    assert "driver differs (majority 570.133.07: node2=-, node3=535.247.01)" in proc.stdout


def test_host_without_sshd_is_listed_down(fleet, tmp_path):
    fleet.stop_sshd("node3")
    # Without a persistent master connection from the runs before, which outlives sshd.
    proc, drift = run_preflight(fleet, tmp_path, fleetbench_drift_policy="warn",
                                ansible_ssh_args="-o ControlMaster=no")
    assert [d["host"] for d in drift["down"]] == ["node3"]
    assert drift["down"][0]["reason"].startswith("unreachable:")
    assert "DOWN node3: unreachable" in proc.stdout
