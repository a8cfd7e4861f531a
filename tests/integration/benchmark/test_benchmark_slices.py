"""AWX job slicing as AWX runs it (ansible-runner): three slices of one host each, at the same
moment, share a run id; the report step merges them into one fleet report, the report the same
hosts get as one job."""
from __future__ import annotations

import json
import os
import pathlib
import shlex
import sys

import ansible_runner
import pytest

from tests.pytest_plugins.benchmark import fleet_vars, run_benchmark, write_inventory
from tests.pytest_plugins.paths import REPO

pytestmark = [pytest.mark.vllm, pytest.mark.slow, pytest.mark.testhosts]

HOSTS = ["node1", "node2", "node3"]
RUN_ID = "sliced"


def controller_inventory(path: pathlib.Path) -> pathlib.Path:
    """The report step needs only the controller."""
    path.write_text(json.dumps({"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                                               "ansible_python_interpreter": sys.executable}}}}))
    return path


def runner_env(results: pathlib.Path) -> dict:
    return {"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "FLEETBENCH_RESULTS_DIR": str(results),
            "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"}


def start_job(work: pathlib.Path, name: str, playbook: str, inventories: list, results: pathlib.Path,
              extravars: dict, wait: bool = False):
    """One AWX job: its own private data dir, the project checkout, its inventory, extra vars."""
    cmdline = " ".join(f"-i {shlex.quote(str(i))}" for i in inventories)
    run = ansible_runner.run if wait else ansible_runner.run_async
    (work / name).mkdir(parents=True, exist_ok=True)
    return run(private_data_dir=str(work / name), project_dir=str(REPO), playbook=playbook, cmdline=cmdline,
               extravars={"fleetbench_results_dir": str(results), **extravars}, envvars=runner_env(results), quiet=True)


def slice_inventory(inventory: pathlib.Path, host: str, path: pathlib.Path) -> pathlib.Path:
    """The inventory cut to one host, as AWX hands a slice its share (a --limit would also leave
    out the implicit localhost the benchmark's controller plays run on)."""
    document = json.loads(inventory.read_text())
    for group in document["all"]["children"].values():
        group["hosts"] = {name: v for name, v in (group.get("hosts") or {}).items() if name == host}
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def runs(testhosts, tiny_model, tiny_dataset, tmp_path_factory, artifacts_dir):
    fleet = testhosts(len(HOSTS))
    fleet.reset(*HOSTS)
    work = tmp_path_factory.mktemp("slices")
    results = artifacts_dir / "benchmark-slices"

    def inventories(name: str) -> list:
        # Each slice has its own controller cache, as a slice in a throwaway container would.
        return [fleet.inventory, write_inventory(work / f"{name}.json", fleet_vars(tiny_model, tiny_dataset, work / f"cache-{name}"), {})]

    slices = [start_job(work, f"slice-{n}", "benchmark.yml", [slice_inventory(fleet.inventory, host, work / f"hosts-{n}.json"),
                                                              inventories(f"slice-{n}")[1]], results,
                        {"fleetbench_run_id": RUN_ID, "fleetbench_slice": n, "fleetbench_slice_count": 3})
              for n, host in enumerate(HOSTS, start=1)]
    for thread, _ in slices:
        thread.join(timeout=1500)
    report = start_job(work, "report", "playbooks/report.yml", [fleet.inventory], results,
                       {"fleetbench_run_id": RUN_ID, "fleetbench_slice_count": 3}, wait=True)
    one_job = run_benchmark([fleet.inventory, inventories("one-job")[1]], results, "one-job", timeout=1500)
    return {"slices": [runner for _, runner in slices], "report": report, "one_job": one_job, "results": results}


def report_json(folder: pathlib.Path) -> dict:
    return json.loads((folder / "report.json").read_text())


def test_every_slice_and_the_report_step_succeed(runs):
    for runner in runs["slices"] + [runs["report"]]:
        assert runner.status == "successful", runner.stdout.read()[-6000:]
    assert runs["one_job"].process.returncode == 0, runs["one_job"].explain()


def test_each_slice_wrote_only_its_own_folder_and_finished(runs):
    run_dir = runs["results"] / RUN_ID
    for number, host in enumerate(HOSTS, start=1):
        folder = run_dir / "slices" / f"slice-{number}"
        state = json.loads((folder / "state.json").read_text())
        assert state["state"] == "finished" and state["hosts"] == [host]
        assert {r["host"] for r in json.loads((folder / "results.json").read_text())["records"]} == {host}
        assert (folder / "benchmark.json").is_file() and (folder / "drift.json").is_file()
        assert (run_dir / host / "Offline" / "performance" / "mlperf_log_detail.txt").is_file()
    assert not (run_dir / "benchmark.json").exists() and not (run_dir / "drift.json").exists()


def test_slices_publish_the_shared_run_id_for_the_report_node(runs):
    for runner in runs["slices"]:
        (stats,) = [e for e in runner.events if e["event"] == "playbook_on_stats"]
        assert stats["event_data"]["artifact_data"]["fleetbench_run_id"] == RUN_ID


def verdicts(report: dict) -> list:
    return sorted((r["host"], r["scenario"], r["repeat"], r["result"], r["compliant"], bool(r["not_representative"]),
                   r["lost_samples"]) for r in report["rows"])


def test_the_merged_report_has_the_hosts_and_verdicts_of_one_job(runs):
    merged, one_job = report_json(runs["results"] / RUN_ID), report_json(runs["one_job"].run_dir)
    assert merged["run"]["hosts"] == one_job["run"]["hosts"] == HOSTS
    assert verdicts(merged) == verdicts(one_job) and len(merged["rows"]) == len(HOSTS)
    assert merged["verdict"] == one_job["verdict"]
    assert merged["drift"] == one_job["drift"]


def test_the_merged_report_equals_one_job_report_over_the_same_records(runs, tmp_path):
    """Two real runs measure different numbers: put the slices' records into the one-job run's
    own results.json (its failures, drift table, layout) and render it as the report step does."""
    merged = json.loads((runs["results"] / RUN_ID / "results.json").read_text())
    one_job = json.loads((runs["one_job"].run_dir / "results.json").read_text())
    gpu = {host: facts.get("gpu") for host, facts in one_job["hosts"].items()}
    assert {host: facts.get("gpu") for host, facts in merged["hosts"].items()} == gpu
    # Host fingerprints carry what changes between two runs of a host; the records' own hosts are kept.
    same_records = {**one_job, "records": merged["records"], "hosts": merged["hosts"], "run_id": RUN_ID,
                    "started_at": merged["started_at"], "finished_at": merged["finished_at"]}
    assert {k: v for k, v in merged.items() if k != "slices"} == same_records
    folder = tmp_path / "single" / RUN_ID
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(same_records))
    job = start_job(tmp_path, "single-report", "playbooks/report.yml", [controller_inventory(tmp_path / "controller.json")], tmp_path / "single",
                    {"fleetbench_run_id": RUN_ID}, wait=True)
    assert job.status == "successful", job.stdout.read()[-4000:]
    single, sliced = report_json(folder), report_json(runs["results"] / RUN_ID)
    for report in (single, sliced):
        report["run"].pop("generated_at")
    assert single == sliced


def test_the_report_refuses_a_slice_still_running_and_names_it(runs, tmp_path):
    run_dir = tmp_path / "copy" / RUN_ID
    for number in (1, 2, 3):
        folder = runs["results"] / RUN_ID / "slices" / f"slice-{number}"
        target = run_dir / "slices" / folder.name
        target.mkdir(parents=True)
        for name in ("results.json", "state.json"):
            (target / name).write_text((folder / name).read_text())
    state = run_dir / "slices" / "slice-2" / "state.json"
    state.write_text(json.dumps({**json.loads(state.read_text()), "state": "running"}))
    job = start_job(tmp_path, "refused", "playbooks/report.yml", [controller_inventory(tmp_path / "controller.json")], tmp_path / "copy",
                    {"fleetbench_run_id": RUN_ID, "fleetbench_slice_count": 3}, wait=True)
    output = job.stdout.read()
    assert job.status == "failed"
    assert "slice slice-2 (node2) is still running" in output, output[-3000:]
    assert not (run_dir / "report.json").exists()
