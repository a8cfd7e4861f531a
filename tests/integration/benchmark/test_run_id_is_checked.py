"""The benchmark_run role refuses a run id that is not a plain folder name, in one line, before anything runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PLAY = "- name: Check\n  hosts: localhost\n  gather_facts: false\n  tasks:\n" \
       "    - name: Validate\n      ansible.builtin.include_role:\n        name: fleetbench.llm.benchmark_run\n" \
       "        tasks_from: validate.yml\n"


@pytest.mark.parametrize("run_id, accepted", [("20250101T000000Z", True), ("before-upgrade_2.1", True),
                                               ("../../etc", False), ("a/b", False), ("$(id)", False), (".hidden", False)])
def test_only_a_plain_run_id_passes_validation(repo_root, ansible_bin, tmp_path, run_id, accepted):
    (tmp_path / "play.yml").write_text(PLAY)
    env = {**os.environ, "ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{ansible_bin}:{os.environ['PATH']}"}
    result = subprocess.run([str(ansible_bin / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                             "-e", f"ansible_python_interpreter={sys.executable}", "-e", json.dumps({"fleetbench_run_id": run_id}),
                             str(tmp_path / "play.yml")], env=env, capture_output=True, text=True, timeout=120)
    assert (result.returncode == 0) is accepted, result.stdout[-2000:]
    if not accepted:
        assert f"localhost: fleetbench_run_id {json.dumps(run_id)} is not a plain folder name" in result.stdout
