"""How a slice is named, from AWX's injected variables or explicit ones, before any host is
touched: a playbook over no hosts runs only the controller's plays, in seconds."""
from __future__ import annotations

import json
import os
import pathlib

import ansible_runner
import pytest

from tests.pytest_plugins.paths import REPO


def run_slice(tmp_path: pathlib.Path, extravars: dict, results_env: bool = True):
    inventory = tmp_path / "empty.json"
    inventory.write_text(json.dumps({"all": {"hosts": {}}}))
    (tmp_path / "job").mkdir()
    results = tmp_path / "results"
    job = ansible_runner.run(private_data_dir=str(tmp_path / "job"), project_dir=str(REPO), playbook="benchmark.yml",
                             cmdline=f"-i {inventory}", extravars={"fleetbench_results_dir": str(results), **extravars},
                             envvars={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                                      **({"FLEETBENCH_RESULTS_DIR": str(results)} if results_env else {}),
                                      "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"}, quiet=True)
    return job, results


def test_an_awx_slice_takes_the_workflow_job_as_run_and_its_job_as_name(tmp_path):
    # As the AWX export sets it: the results folder only as an extra var, no environment.
    job, results = run_slice(tmp_path, {"awx_job_id": 7, "awx_workflow_job_id": 41, "fleetbench_slice_count": 2},
                             results_env=False)
    assert job.status == "successful", job.stdout.read()[-3000:]
    folder = results / "awx-41" / "slices" / "job-7"
    state = json.loads((folder / "state.json").read_text())
    assert state["state"] == "finished" and state["count"] == 2 and state["job"] == 7
    assert json.loads((folder / "results.json").read_text())["records"] == []
    assert sorted(p.name for p in (results / "awx-41").iterdir()) == ["slices"]


def test_an_explicit_run_id_wins_over_awx(tmp_path):
    job, results = run_slice(tmp_path, {"awx_job_id": 7, "awx_workflow_job_id": 41, "fleetbench_slice_count": 2,
                                        "fleetbench_run_id": "nightly-1", "fleetbench_slice": 2})
    assert job.status == "successful", job.stdout.read()[-3000:]
    assert (results / "nightly-1" / "slices" / "slice-2" / "state.json").is_file()


def test_one_job_in_an_awx_workflow_is_no_slice(tmp_path):
    # No hosts, so no records and nothing to report: the report step is left out.
    job, results = run_slice(tmp_path, {"awx_job_id": 7, "awx_workflow_job_id": 41, "fleetbench_report_enabled": False})
    assert job.status == "successful", job.stdout.read()[-3000:]
    (run_dir,) = results.iterdir()
    assert run_dir.name != "awx-41" and sorted(p.name for p in run_dir.iterdir()) == ["benchmark.json"]


@pytest.mark.parametrize("extravars", [{"fleetbench_slice_count": 3}], ids=["no-slice-number"])
def test_a_slice_without_a_name_is_refused_before_anything_runs(tmp_path, extravars):
    job, results = run_slice(tmp_path, extravars)
    output = job.stdout.read()
    assert job.status == "failed"
    assert "fleetbench_slice_count=3 makes this job one slice of a run: give it fleetbench_slice (1 to 3)" in output, output[-3000:]
    assert not results.exists()
