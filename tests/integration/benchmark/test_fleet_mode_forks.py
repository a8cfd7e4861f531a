"""A fleet-mode run needs every host at once: more hosts than forks is refused in one line before
any host is touched; per-host mode runs with any forks, as before."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HOSTS = ("h1", "h2", "h3")
VALIDATE = "- name: Check\n  hosts: all\n  gather_facts: false\n  tasks:\n" \
           "    - name: Validate\n      ansible.builtin.include_role:\n        name: fleetbench.llm.benchmark_run\n" \
           "        tasks_from: validate.yml\n"


def playbook(repo_root, ansible_bin, tmp_path, play, forks: int, mode: str, *extra: str) -> subprocess.CompletedProcess:
    inventory = {"all": {"hosts": {name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                                          "fleetbench_fleet_mode": mode} for name in HOSTS}}}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    env = {**os.environ, "ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{ansible_bin}:{os.environ['PATH']}"}
    return subprocess.run([str(ansible_bin / "ansible-playbook"), "-i", str(tmp_path / "inventory.json"),
                           "--forks", str(forks), "-e", f"fleetbench_results_dir={tmp_path / 'results'}", *extra, str(play)],
                          env=env, capture_output=True, text=True, timeout=300)


def test_the_benchmark_playbook_refuses_more_fleet_hosts_than_forks_in_one_line(repo_root, ansible_bin, tmp_path):
    result = playbook(repo_root, ansible_bin, tmp_path, repo_root / "benchmark.yml", 2, "fleet")
    assert result.returncode != 0
    line = ("fleet mode starts all 3 hosts at the same moment but forks is 2: "
            "run with --forks 3 (or more), or with fleetbench_fleet_mode=per_host")
    assert f'"msg": "{line}"' in result.stdout, result.stdout[-3000:]
    assert "PLAY [Check that every host" not in result.stdout
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("mode", "forks"), [("fleet", 3), ("per_host", 2)])
def test_enough_forks_or_per_host_mode_go_on_to_check_the_hosts(repo_root, ansible_bin, tmp_path, mode, forks):
    # A bad run id stops each host at the host checks: proof that the play got past the forks check.
    result = playbook(repo_root, ansible_bin, tmp_path, repo_root / "benchmark.yml", forks, mode,
                      "-e", "fleetbench_run_id=not/plain", "-e", "fleetbench_report_enabled=false")
    assert "forks is" not in result.stdout, result.stdout[-3000:]
    assert "PLAY [Check that every host" in result.stdout
    assert "h1: fleetbench_run_id \"not/plain\" is not a plain folder name" in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize(("mode", "forks", "refused"), [("fleet", 2, True), ("fleet", 3, False), ("per_host", 1, False)])
def test_the_role_refuses_fleet_mode_beyond_forks_on_its_own_too(repo_root, ansible_bin, tmp_path, mode, forks, refused):
    (tmp_path / "play.yml").write_text(VALIDATE)
    result = playbook(repo_root, ansible_bin, tmp_path, tmp_path / "play.yml", forks, mode,
                      "-e", "fleetbench_run_id=20261207T130000Z")
    assert (result.returncode != 0) is refused, result.stdout[-3000:]
    line = "h1: fleet mode starts all 3 hosts at once but forks is 2: run with --forks 3 (or more), or per_host mode"
    assert (line in result.stdout) is refused
