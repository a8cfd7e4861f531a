"""Driver state outside NVML: loaded module, packages and holds, toolkit, host fingerprint."""
from __future__ import annotations

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu import driver_state as state
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.host_fingerprint import cpu_quota

PROPRIETARY = ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.247.01  Thu Apr 10 18:24:35 UTC 2025\n"
               "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n")
OPEN = ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.133.20  Release Build  "
        "(dvs-builder@U16-I3-B03-4-3)  Fri Mar 14 07:32:25 UTC 2025\n")


def test_kernel_module_version_and_flavour():
    assert state.parse_kernel_module(PROPRIETARY) == {
        "kernel_module_version": "535.247.01", "kernel_module_flavour": "proprietary"}
    assert state.parse_kernel_module(OPEN) == {
        "kernel_module_version": "570.133.20", "kernel_module_flavour": "open"}
    assert state.parse_kernel_module(None)["kernel_module_version"] is None


def test_dpkg_query_keeps_installed_packages_and_sees_holds():
    # As dpkg-query prints it on a test host: held ("hi"), leftovers ("rc"), virtual names ("un").
    out = ("nvidia-driver-570-open 570.133.07-0ubuntu1 hi \n"
           "nvidia-driver-535 535.247.01-0ubuntu1 rc \n"
           "nvidia-utils  un \n"
           "cuda-toolkit-12-8 12.8.1-1 ii \n")
    assert state.parse_dpkg_query(out) == (
        {"nvidia-driver-570-open": "570.133.07-0ubuntu1", "cuda-toolkit-12-8": "12.8.1-1"},
        ["nvidia-driver-570-open"])


def test_driver_package_version_is_the_upstream_version():
    assert state.driver_package_version({"nvidia-driver-570-open": "570.133.20-0ubuntu1",
                                         "cuda-toolkit-12-8": "12.8.1-1"}) == "570.133.20"
    assert state.driver_package_version({"nvidia-driver": "3:575.57.08-1.el9"}) == "575.57.08"
    assert state.driver_package_version({"cuda-toolkit-12-8": "12.8.1-1"}) is None


def test_apt_packages_and_holds_through_real_commands_shape():
    replies = {
        "dpkg-query": (1, "nvidia-driver-570 570.133.20-1 ii \nlibnvidia-compute-570 570.133.20-1 hi \n", "no cuda-*"),
        "apt-mark": (0, "nvidia-driver-570\nlinux-image-amd64\n", ""),
    }
    found = state.read_packages(lambda argv: replies[argv[0]], lambda name: f"/usr/bin/{name}" if name in replies else None)
    assert found["packages"] == {"nvidia-driver-570": "570.133.20-1", "libnvidia-compute-570": "570.133.20-1"}
    assert found["held_packages"] == ["libnvidia-compute-570", "nvidia-driver-570"]
    assert found["package_manager"] == "apt"


def test_dnf_versionlock_entries_name_the_locked_packages():
    assert state.parse_versionlock("nvidia-driver-3:570.133.20-1.el9.*\ncuda-toolkit-12-8-0:12.8.1-1.*\n") == [
        "nvidia-driver", "cuda-toolkit-12-8"]


def test_cuda_toolkit_version_from_version_json(tmp_path):
    version_json = tmp_path / "version.json"
    version_json.write_text('{"cuda": {"name": "CUDA SDK", "version": "12.8.1"}}')
    assert state.cuda_toolkit_version(lambda argv: (1, "", ""), lambda name: None, str(version_json)) == "12.8.1"


def test_fabric_manager_is_only_asked_where_nvswitches_exist():
    asked = []

    def run(argv):
        asked.append(argv)
        return 0, "active\n", ""

    assert state.fabric_manager_state(run, lambda name: "/bin/systemctl", 0) is None and not asked
    assert state.fabric_manager_state(run, lambda name: "/bin/systemctl", 6) == "active"


def _cgroup(tmp_path, self_cgroup: str, files: dict) -> tuple[str, str]:
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text(self_cgroup)
    for path, text in files.items():
        target = tmp_path / "cgroup" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return str(tmp_path / "cgroup"), str(proc)


def test_cgroup_v2_quota_is_the_tightest_along_the_path(tmp_path):
    roots = _cgroup(tmp_path, "0::/system.slice/bench.service\n", {
        "system.slice/cpu.max": "300000 100000\n",
        "system.slice/bench.service/cpu.max": "150000 100000\n",
    })
    assert cpu_quota(*roots) == 1.5


def test_cgroup_v2_without_limit_is_none(tmp_path):
    assert cpu_quota(*_cgroup(tmp_path, "0::/user.slice\n", {"user.slice/cpu.max": "max 100000\n"})) is None


def test_cgroup_v1_cfs_quota(tmp_path):
    roots = _cgroup(tmp_path, "4:cpu,cpuacct:/docker/abc\n", {
        "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000\n",
        "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
        "cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
        "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
    })
    assert cpu_quota(*roots) == 2.0


def test_rpm_packages_and_dnf_versionlock_on_el():
    replies = {
        "rpm": (0, "nvidia-driver 570.133.20-1.el9\nkernel 5.14.0-503.el9\ncuda-toolkit-12-8 12.8.1-1\n", ""),
        "dnf": (0, "nvidia-driver-3:570.133.20-1.el9.*\n", ""),
    }
    found = state.read_packages(lambda argv: replies[argv[0]],
                                lambda name: f"/usr/bin/{name}" if name in replies else None)
    assert found == {"packages": {"nvidia-driver": "570.133.20-1.el9", "cuda-toolkit-12-8": "12.8.1-1"},
                     "held_packages": ["nvidia-driver"], "package_manager": "dnf"}
    assert state.driver_package_version(found["packages"]) == "570.133.20"
