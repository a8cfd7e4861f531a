"""The namespaced test hosts behave like separate Debian machines reached over SSH."""
from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest

from tests.pytest_plugins.testhosts import ansible_command, ansible_env

pytestmark = pytest.mark.testhosts

BURN_ONE_SECOND = """
import time
start, cpu = time.monotonic(), time.process_time()
while time.monotonic() - start < 1:
    pass
print(time.process_time() - cpu)
"""


def test_every_host_answers_ansible_ping_over_ssh(testhosts):
    fleet = testhosts(3)
    result = subprocess.run(
        [ansible_command("ansible"), "-i", str(fleet.inventory), "all", "-m", "ansible.builtin.ping"],
        capture_output=True, text=True, env=ansible_env(), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count('"ping": "pong"') == 3


def test_each_host_has_its_own_name_address_and_root_file_system(testhosts):
    fleet = testhosts(3)
    fleet.ssh("node1", "echo node1-only > /root/marker", check=True)
    for name in fleet.names:
        address = fleet.host(name).address
        assert fleet.ssh(name, "hostname", check=True).stdout.strip() == name
        assert f"inet {address}/24" in fleet.ssh(name, "ip -4 addr show eth0", check=True).stdout
        has_marker = fleet.ssh(name, "test -e /root/marker").returncode == 0
        assert has_marker is (name == "node1")


def test_apt_sees_only_the_standin_repository(testhosts):
    fleet = testhosts(1)
    update = fleet.ssh("node1", "apt-get update", check=True)
    assert "deb.debian.org" not in update.stdout
    policy = fleet.ssh("node1", "apt-cache policy nvidia-driver-575", check=True).stdout
    assert "575.57.08-0ubuntu1" in policy and "575.64.03-0ubuntu1" in policy
    assert f"http://10.231.{fleet.fleet.number}.1:8080" in policy


def test_cpu_quota_is_seen_inside_and_throttles_the_host(testhosts):
    fleet = testhosts(1)
    # A twentieth of a core: throttled even when the shared machine is busy.
    fleet.set_cpu_quota("node1", 0.05)
    try:
        quota = fleet.ssh("node1", "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us",
                          check=True).stdout.split()
        assert [int(q) for q in quota] == [5000, 100000]
        burn = fleet.ssh("node1", f"python3 -c '{BURN_ONE_SECOND}'; grep nr_throttled /sys/fs/cgroup/cpu/cpu.stat",
                         check=True).stdout.split()
        share, throttled = float(burn[0]), int(burn[2])
        assert throttled > 0
        assert share < 0.1
    finally:
        fleet.set_cpu_quota("node1", None)
    assert fleet.ssh("node1", "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us", check=True).stdout.strip() == "-1"


def test_a_stopped_sshd_makes_the_host_unreachable_until_started_again(testhosts):
    fleet = testhosts(2)
    fleet.stop_sshd("node2")
    try:
        assert fleet.ssh("node2", "true").returncode == 255
        assert fleet.ssh("node1", "true").returncode == 0
    finally:
        fleet.start_sshd("node2")
    assert fleet.ssh("node2", "true").returncode == 0


def test_reset_gives_back_a_fresh_host_at_the_same_address(testhosts):
    fleet = testhosts(1)
    fleet.ssh("node1", "touch /etc/left-behind", check=True)
    fleet.reset("node1")
    assert fleet.ssh("node1", "test -e /etc/left-behind").returncode == 1
    assert fleet.ssh("node1", "hostname", check=True).stdout.strip() == "node1"


def test_hosts_run_the_controllers_python_read_only(testhosts):
    fleet = testhosts(1)
    python = f"{sys.base_prefix}/bin/python3"
    probe = "import json, ssl, sqlite3, ctypes, lzma, bz2; print(json.dumps(1))"
    assert fleet.ssh("node1", f"{python} -c '{probe}'", check=True).stdout.strip() == "1"
    assert fleet.ssh("node1", f"touch {sys.base_prefix}/written-by-a-host").returncode != 0


def test_standin_reboot_is_seen_by_ansible_reboot(testhosts):
    fleet = testhosts(1)
    before = fleet.ssh("node1", "cat /var/lib/fleetbench-standin/boot_id", check=True).stdout
    sleeper = fleet.ssh("node1", "sleep 600 >/dev/null 2>&1 & echo $!", check=True).stdout.strip()
    result = subprocess.run(
        [ansible_command("ansible"), "-i", str(fleet.inventory), "node1", "-m", "ansible.builtin.reboot",
         "-a", json.dumps({"reboot_command": "{{ fleetbench_driver_reboot_command }}",
                           "boot_time_command": "{{ fleetbench_driver_boot_time_command }}"})],
        capture_output=True, text=True, env=ansible_env(), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"rebooted": true' in result.stdout
    assert fleet.ssh("node1", "cat /var/lib/fleetbench-standin/boot_id", check=True).stdout != before
    assert fleet.ssh("node1", f"test -e /proc/{sleeper}").returncode == 1, "a process outlived the reboot"


VLLM_PROBE = """
import sys
if __name__ == "__main__":
    from vllm import LLM, SamplingParams
    llm = LLM(model=sys.argv[1], dtype="bfloat16", max_model_len=256, enforce_eager=True)
    outputs = llm.generate(["hello world"] * 4, SamplingParams(max_tokens=16, temperature=0, ignore_eos=True))
    print("generated", sum(len(o.outputs[0].token_ids) for o in outputs))
"""


@pytest.mark.vllm
@pytest.mark.slow
def test_a_host_generates_with_the_shared_vllm_venv(testhosts, vllm_python):
    fleet = testhosts(1)
    fleet.reset("node1")
    python = str(vllm_python)
    made = fleet.ssh("node1", f"{python} -m fleetbench_harness make-tiny-model --output /root/tiny")
    assert made.returncode == 0, made.stderr[-2000:]
    fleet.ssh("node1", f"printf '%s' {shlex.quote(VLLM_PROBE)} > /root/probe.py", check=True)
    generated = fleet.ssh("node1", f"cd /root && VLLM_CPU_KVCACHE_SPACE=1 {python} probe.py /root/tiny")
    assert generated.returncode == 0, generated.stderr[-3000:]
    assert "generated 64" in generated.stdout
