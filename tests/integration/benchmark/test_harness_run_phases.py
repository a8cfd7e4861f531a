"""harness_run in two tasks (phase=start, then phase=finish) lets every host start its run while
forks are fewer than hosts; in one task (phase=whole) a host waits for a fork, run after run.

Three hosts over the local connection, one fork, and the stand-in harness that bench-controller
uses (it keeps a status file going for min_duration, then leaves a quick run's files)."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

HOSTS = ("h1", "h2", "h3")
RUN_S = 3

PLAY = """\
- name: Run the stand-in harness on every host
  hosts: all
  gather_facts: false
  vars:
    args: &args
      harness: {harness}
      output: "{work}/host/{{{{ inventory_hostname }}}}"
      scenario: Offline
      mode: performance
      model: /nonexistent/model
      dataset: /nonexistent/dataset.json
      profile: quick
      loadgen_settings:
        min_duration: {run_ms}
      poll_interval: 1
      timeout: 120
      progress_dir: "{work}/controller/{{{{ inventory_hostname }}}}"
      phase: "{{{{ phase }}}}"
      started: "{{{{ earlier | default(omit) }}}}"
  tasks:
    - name: Start
      fleetbench.llm.harness_run: *args
      vars:
        phase: "{{{{ first_phase }}}}"
      register: started

    - name: Finish
      fleetbench.llm.harness_run: *args
      vars:
        phase: finish
        earlier: "{{{{ started }}}}"
      register: finished

    - name: Keep what each host's run said
      ansible.builtin.copy:
        content: "{{{{ {{'started': started, 'finished': finished}} | to_json }}}}"
        dest: "{work}/{{{{ inventory_hostname }}}}.json"
        mode: "0644"
      delegate_to: localhost
"""


def run_play(repo_root, ansible_bin, work: pathlib.Path, first_phase: str) -> dict:
    work.mkdir()
    harness = repo_root / "benchmarks" / "controller_cost" / "standin-harness.sh"
    (work / "play.yml").write_text(PLAY.format(harness=harness, work=work, run_ms=RUN_S * 1000))
    inventory = {"all": {"hosts": {name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                                   for name in HOSTS}}}
    (work / "inventory.json").write_text(json.dumps(inventory))
    env = {**os.environ, "ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{ansible_bin}:{os.environ['PATH']}"}
    result = subprocess.run([str(ansible_bin / "ansible-playbook"), "-i", str(work / "inventory.json"), "--forks", "1",
                             "-e", f"first_phase={first_phase}", str(work / "play.yml")],
                            env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return {name: json.loads((work / f"{name}.json").read_text()) for name in HOSTS}


def run_windows(work: pathlib.Path, runs: dict) -> list[tuple[float, float]]:
    """(started, ended) of each host's run: when harness_run started it, and when the stand-in
    wrote its last file (the archive keeps the host's modification times)."""
    return [(runs[name]["finished"]["started_at"], (work / "controller" / name / "mlperf_log_detail.txt").stat().st_mtime)
            for name in HOSTS]


@pytest.mark.parametrize("first_phase", ["start", "whole"])
def test_hosts_beyond_forks_start_together_only_when_the_run_is_split(repo_root, ansible_bin, tmp_path, first_phase):
    runs = run_play(repo_root, ansible_bin, tmp_path / first_phase, first_phase)
    for name, run in runs.items():
        assert run["finished"]["outcome"] == "done", (name, run["finished"])
        assert (tmp_path / first_phase / "controller" / name / "mlperf_log_detail.txt").is_file()
    windows = run_windows(tmp_path / first_phase, runs)
    last_start = max(start for start, _ in windows)
    first_end = min(end for _, end in windows)
    if first_phase == "start":
        assert [run["started"]["outcome"] for run in runs.values()] == ["started"] * len(HOSTS)
        assert last_start < first_end, windows
    else:
        # One task per run: the third host was started only after the first had finished.
        assert last_start > first_end, windows
