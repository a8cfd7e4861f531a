"""fleetbench.llm.nvidia_driver on real Debian test hosts, real apt, stand-in driver packages.

The install itself (pin, hold, a second run that changes nothing, `apt-get upgrade` against the
holds) is the molecule scenario extensions/molecule/nvidia_driver. These tests follow one host
(node1) from that pin through what comes after: check mode, an upgrade without reboot
permission, a branch change with a reboot. node2 stays fresh for check mode and the refusals.
Each step builds on the one before, so they run in file order on one fleet.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

pytestmark = [pytest.mark.testhosts, pytest.mark.slow]

# Stand-in packages named as NVIDIA's CUDA repository for Ubuntu names them before 590.
BASE_VARS = {
    "fleetbench_driver_package_scheme": "branch_in_name",
    "fleetbench_driver_flavour": "open",
    # The stand-in repository has no linux-headers for the machine's kernel.
    "fleetbench_driver_kernel_headers": False,
}
OLD_570 = {**BASE_VARS, "fleetbench_driver_version": "570.124.06", "fleetbench_cuda_version": "12.8"}
NEW_570 = {**OLD_570, "fleetbench_driver_version": "570.133.07"}
NEW_575 = {**BASE_VARS, "fleetbench_driver_version": "575.64.03", "fleetbench_cuda_version": "12.9",
           "fleetbench_driver_allow_reboot": True}
PACKAGES_570 = ["nvidia-driver-570-open", "nvidia-utils-570", "nvidia-dkms-570-open",
                "nvidia-kernel-common-570", "cuda-toolkit-12-8"]
PACKAGES_575 = ["nvidia-driver-575-open", "nvidia-utils-575", "nvidia-dkms-575-open",
                "nvidia-kernel-common-575", "cuda-toolkit-12-9"]
LOADED_MODULE = "/etc/fleetbench-standin/loaded-module"


@pytest.fixture(scope="module")
def fleet(testhosts):
    fleet = testhosts(2)
    fleet.reset("node1", "node2")
    return fleet


@pytest.fixture(scope="module")
def role(fleet, run_driver_role):
    def run(host: str, extra_vars: dict, **kwargs):
        return run_driver_role(fleet.inventory, host, extra_vars, **kwargs)
    return run


def installed_versions(fleet, host: str) -> dict[str, str]:
    listed = fleet.ssh(host, r"dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n' 'nvidia-*' 'cuda-*'")
    return {name: version for name, version, status in
            (line.split("\t") for line in listed.stdout.splitlines()) if status[1:2] == "i"}


def held(fleet, host: str) -> set[str]:
    return set(fleet.ssh(host, "apt-mark showhold", check=True).stdout.split())


def loaded_module(fleet, host: str) -> str:
    return fleet.ssh(host, f"cat {LOADED_MODULE}").stdout


def transaction(run, host: str) -> list[str]:
    reported = run.host_results(host, "Report the planned package changes")
    return reported[0].get("fleetbench_driver_transaction", []) if reported else []


def test_check_mode_on_a_fresh_host_lists_the_install_and_changes_nothing(fleet, role):
    run = role("node2", OLD_570, check=True)

    assert run.rc == 0, run.failure_messages("node2") or run.stdout[-3000:]
    assert run.changed("node2") > 0
    assert "nvidia-driver-570-open none -> 570.124.06-0ubuntu1" in transaction(run, "node2")
    assert "cuda-toolkit-12-8 none -> 12.8.1-1" in transaction(run, "node2")
    assert installed_versions(fleet, "node2") == {}
    assert fleet.ssh("node2", "test -e /etc/apt/preferences.d/fleetbench-nvidia.pref").returncode == 1


@pytest.fixture(scope="module")
def pinned_node1(fleet, role):
    """node1 pinned to 570.124.06, as the molecule scenario leaves it (and checks)."""
    run = role("node1", OLD_570)
    assert run.rc == 0, run.failure_messages("node1") or run.stdout[-3000:]


def test_check_mode_on_a_pinned_host_shows_the_upgrade_without_doing_it(fleet, role, pinned_node1):
    before = fleet.ssh("node1", "cat /etc/apt/preferences.d/fleetbench-nvidia.pref").stdout

    run = role("node1", NEW_570, check=True)

    assert run.rc == 0, run.failure_messages("node1") or run.stdout[-3000:]
    assert run.changed("node1") > 0
    assert "nvidia-utils-570 570.124.06-0ubuntu1 -> 570.133.07-0ubuntu1" in transaction(run, "node1")
    assert installed_versions(fleet, "node1")["nvidia-driver-570-open"] == "570.124.06-0ubuntu1"
    assert held(fleet, "node1") == set(PACKAGES_570)
    assert fleet.ssh("node1", "cat /etc/apt/preferences.d/fleetbench-nvidia.pref").stdout == before


def test_upgrade_without_reboot_permission_reports_pending_and_verify_names_both_versions(fleet, role):
    run = role("node1", NEW_570)

    assert run.rc == 0, run.failure_messages("node1") or run.stdout[-3000:]
    assert installed_versions(fleet, "node1")["nvidia-driver-570-open"] == "570.133.07-0ubuntu1"
    assert held(fleet, "node1") == set(PACKAGES_570)
    assert "570.124.06" in loaded_module(fleet, "node1")
    [pending] = run.host_results("node1", "Record whether a reboot is still pending")
    assert pending["ansible_facts"]["fleetbench_driver_reboot_pending"] is True

    verify = role("node1", NEW_570, entry_point="verify")

    assert verify.rc != 0
    assert verify.failure_messages("node1") == ["node1: loaded NVIDIA driver 570.124.06 is not the pinned 570.133.07"]


def test_branch_change_removes_the_old_branch_and_reboots_into_the_pin(fleet, role):
    boot_id = fleet.ssh("node1", "cat /var/lib/fleetbench-standin/boot_id", check=True).stdout

    run = role("node1", NEW_575)

    assert run.rc == 0, run.failure_messages("node1") or run.stdout[-3000:]
    versions = installed_versions(fleet, "node1")
    assert sorted(versions) == sorted(PACKAGES_575)
    assert versions["nvidia-driver-575-open"] == "575.64.03-0ubuntu1"
    assert held(fleet, "node1") == set(PACKAGES_575)
    assert fleet.ssh("node1", "cat /var/lib/fleetbench-standin/boot_id", check=True).stdout != boot_id
    assert "Open Kernel Module for x86_64  575.64.03" in loaded_module(fleet, "node1")
    assert role("node1", NEW_575).changed("node1") == 0


def test_secure_boot_is_refused_with_guidance_before_any_change(fleet, role):
    # The firmware state is the one thing the host cannot have: mokutil reports it.
    fleet.ssh("node2", "printf '#!/bin/sh\\necho SecureBoot enabled\\n' > /usr/bin/mokutil && chmod +x /usr/bin/mokutil",
              check=True)
    before = installed_versions(fleet, "node2")

    run = role("node2", NEW_575)

    assert run.rc != 0
    [message] = run.failure_messages("node2")
    assert message.startswith("node2: Secure Boot is enabled")
    assert "fleetbench_driver_allow_secure_boot" in message
    assert installed_versions(fleet, "node2") == before


def test_a_branch_is_not_a_pin(role):
    run = role("node2", {**BASE_VARS, "fleetbench_driver_version": "570"})

    assert run.rc != 0
    [message] = run.failure_messages("node2")
    assert message.startswith("node2: fleetbench_driver_version must be an exact version such as 570.133.07")
    assert "got '570'" in message


def test_a_transaction_that_would_change_the_kernel_is_refused_before_any_change(fleet, role, tmp_path):
    # Headers for the running kernel whose package pulls in a new kernel image, as a headers
    # metapackage can: stand-in packages in a second repository inside the host.
    kernel = fleet.ssh("node2", "uname -r", check=True).stdout.strip()
    repo = fleet.host("node2").root / "srv" / "kernel-repo"
    repo.mkdir(parents=True, exist_ok=True)
    for name, depends in ((f"linux-headers-{kernel}", "linux-image-9.9.9-fleetbench"),
                          ("linux-image-9.9.9-fleetbench", "")):
        control = tmp_path / f"{name}.control"
        control.write_text(f"Package: {name}\nVersion: 9.9.9-1\nArchitecture: all\n"
                           + (f"Depends: {depends}\n" if depends else "")
                           + f"Description: stand-in {name}\n")
        subprocess.run(["equivs-build", control.name], cwd=tmp_path, check=True, capture_output=True)
    for deb in tmp_path.glob("*.deb"):
        shutil.copy(deb, repo)
    packages = subprocess.run(["apt-ftparchive", "packages", "."], cwd=repo, check=True, capture_output=True, text=True)
    (repo / "Packages").write_text(packages.stdout)
    fleet.ssh("node2", "rm -f /usr/bin/mokutil && echo 'deb [trusted=yes] file:/srv/kernel-repo ./' "
                       "> /etc/apt/sources.list.d/kernel-repo.list", check=True)
    before = installed_versions(fleet, "node2")

    run = role("node2", {**NEW_575, "fleetbench_driver_kernel_headers": True})

    assert run.rc != 0
    [message] = run.failure_messages("node2")
    assert message.startswith("node2: installing NVIDIA driver 575.64.03 would install or upgrade a kernel "
                              "(linux-image-9.9.9-fleetbench none -> 9.9.9-1)")
    assert installed_versions(fleet, "node2") == before
    assert fleet.ssh("node2", "test -e /etc/apt/preferences.d/fleetbench-nvidia.pref").returncode == 1
