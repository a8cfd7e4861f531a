"""benchmark.yml through ansible-runner, as AWX runs it: job events, artifacts, set_stats."""
from __future__ import annotations

import json
import os
import pathlib

import ansible_runner
import pytest

from tests.pytest_plugins.paths import REPO

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

SECRET = "hf_fleetbench_never_printed_0123456789"


@pytest.fixture(scope="module")
def runner_job(vllm_python, artifacts_dir, tmp_path_factory):
    results = artifacts_dir / "benchmark-runner"
    job = ansible_runner.run(
        private_data_dir=str(tmp_path_factory.mktemp("runner")),
        project_dir=str(REPO),
        playbook="benchmark.yml",
        inventory=str(REPO / "inventory" / "localhost"),
        extravars={"fleetbench_run_id": "runner-job", "fleetbench_results_dir": str(results),
                   "fleetbench_scenarios": ["Offline"], "fleetbench_hub_token": SECRET},
        envvars={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "FLEETBENCH_RESULTS_DIR": str(results),
                 "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"},
        quiet=True,
    )
    return job, results


def test_the_job_succeeds(runner_job):
    job, _ = runner_job
    assert job.status == "successful" and job.rc == 0, job.stdout.read()[-6000:]


def test_set_stats_reach_awx_as_artifact_data(runner_job):
    job, _ = runner_job
    (stats,) = [e for e in job.events if e["event"] == "playbook_on_stats"]
    data = stats["event_data"]["artifact_data"]
    assert data["fleetbench_run_id"] == "runner-job"
    assert data["fleetbench_failed_hosts"] == []
    (headline,) = data["fleetbench_headlines"]["localhost"]
    assert headline["scenario"] == "Offline" and headline["status"] == "complete"
    assert headline["headline"]["name"] == "tokens_per_second" and headline["headline"]["value"] > 0


def test_runner_artifacts_hold_the_job_events_and_stdout(runner_job):
    job, _ = runner_job
    artifacts = pathlib.Path(job.config.artifact_dir)
    assert (artifacts / "stdout").is_file() and (artifacts / "rc").read_text().strip() == "0"
    events = list((artifacts / "job_events").glob("*.json"))
    assert any(json.loads(e.read_text()).get("event") == "playbook_on_stats" for e in events)


def test_the_hub_token_never_appears_in_events_or_output(runner_job):
    job, _ = runner_job
    assert SECRET not in job.stdout.read()
    assert all(SECRET not in json.dumps(event) for event in job.events)


def test_results_land_in_the_results_folder_the_job_was_given(runner_job):
    _, results = runner_job
    run_dir = results / "runner-job"
    assert (run_dir / "localhost" / "Offline" / "performance" / "mlperf_log_detail.txt").is_file()
    assert (run_dir / "benchmark.json").is_file() and (run_dir / "report.html").is_file()
