"""The results callback and the report role in a real ansible-playbook run.

Real parts: ansible-playbook, the loadgen_result module on real LoadGen logs (the corpus, else
runs this session made), SSH to a closed port for the unreachable host, the callback enabled the
way AWX enables it. Expected numbers come from the project's parser run on the same folders.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.pytest_plugins.report import L02_SERVER, L41_INVALID_SERVER

PLAYBOOK = pathlib.Path(__file__).parent / "playbooks" / "collect_corpus_runs.yml"


def _run_playbook(repo_root, ansible_bin, tmp_path, report_inputs, hosts, extra_env=None, extra_vars=None):
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[bench]\n" + "\n".join(hosts) + f"\n[local]\nlocalhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    variables = {"fleetbench_test_corpus": str(report_inputs.loadgen), "fleetbench_run_id": "it-run",
                 "fleetbench_results_dir": str(tmp_path / "results"), **(extra_vars or {})}
    env = {**os.environ, "ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"),
           "ANSIBLE_CALLBACKS_ENABLED": "fleetbench.llm.results",
           "FLEETBENCH_RESULTS_DIR": str(tmp_path / "results"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{ansible_bin}:{os.environ['PATH']}", **(extra_env or {})}
    return subprocess.run(
        [str(ansible_bin / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), "-e", json.dumps(variables)],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def fleet_run(repo_root, ansible_bin, tmp_path_factory, report_inputs):
    tmp_path = tmp_path_factory.mktemp("fleet")
    hosts = [f"host-a ansible_connection=local ansible_python_interpreter={sys.executable} fleetbench_test_folder={L02_SERVER}",
             f"host-b ansible_connection=local ansible_python_interpreter={sys.executable} fleetbench_test_folder={L41_INVALID_SERVER}",
             "host-c ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh fleetbench_test_folder=none"]
    result = _run_playbook(repo_root, ansible_bin, tmp_path, report_inputs, hosts,
                           extra_vars={"fleetbench_test_break_callback": True})
    return tmp_path / "results" / "it-run", result


def _tokens(record: dict) -> str:
    return f"{record['headline']['value']:,.0f}"


def test_callback_prints_one_line_per_finished_run_and_a_table(fleet_run, parsed_corpus_run):
    _, result = fleet_run
    valid, invalid = parsed_corpus_run(L02_SERVER), parsed_corpus_run(L41_INVALID_SERVER)
    assert (f"fleetbench: host-a | Server performance #1 | VALID | completed_tokens_per_second {_tokens(valid)} tokens/s"
            f" | samples {valid['samples_completed']}/{valid['samples_issued']}") in result.stdout
    assert (f"fleetbench: host-b | Server performance #1 | INVALID | completed_tokens_per_second {_tokens(invalid)} tokens/s"
            in result.stdout)
    assert "FLEETBENCH RESULTS" in result.stdout


def test_exception_in_the_callback_is_a_warning_and_loses_no_result(fleet_run):
    folder, result = fleet_run
    assert "fleetbench.llm.results: v2_runner_on_ok failed (ResultRecordError: invalid result record: schema_version 2" \
        in result.stdout + result.stderr
    records = json.loads((folder / "results.json").read_text())["records"]
    assert sorted((r["host"], r["repeat"]) for r in records) == [("host-a", 1), ("host-a", 2), ("host-b", 1), ("host-b", 2)]


def test_results_json_holds_records_and_the_unreachable_host(fleet_run):
    folder, _ = fleet_run
    document = json.loads((folder / "results.json").read_text())
    assert document["run_id"] == "it-run" and document["playbook"] == "collect_corpus_runs.yml"
    assert [f["host"] for f in document["failures"]] == ["host-c"]
    assert document["failures"][0]["message"].startswith("unreachable:")


def test_junit_fails_invalid_broken_and_unreachable_runs(fleet_run):
    folder, _ = fleet_run
    cases = {(c.get("classname"), c.get("name")): c.find("failure")
             for c in ET.parse(folder / "results.junit.xml").iter("testcase")}
    assert cases[("host-a", "Server performance repeat 1")] is None
    assert cases[("host-b", "Server performance repeat 1")].get("message").startswith("INVALID:")
    assert cases[("host-c", "Reach the host")].get("message").startswith("unreachable:")
    unreadable = {host: f.get("message") for (host, name), f in cases.items() if name.startswith("unreadable record")}
    assert unreadable == dict.fromkeys(("host-a", "host-b"), "invalid result record: schema_version 2 is not supported "
                                       "(this code reads 1); read it with the fleetbench.llm release that wrote it")
    assert len(cases) == 5


def test_report_role_writes_three_formats_with_the_errors_named(fleet_run):
    folder, result = fleet_run
    markdown = (folder / "report.md").read_text()
    report = json.loads((folder / "report.json").read_text())
    assert "| host-b | Server | 1 | INVALID: early stopping criteria not met" in markdown
    assert "host-c: unreachable:" in markdown
    assert "host-a Server performance: unreadable result record" in markdown
    assert report["verdict"]["passed"] is False
    assert (folder / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert "TASK [fleetbench.llm.report : Report | Write report.md, report.html and report.json]" in result.stdout


@pytest.fixture(scope="module")
def upgrade_runs(repo_root, ansible_bin, tmp_path_factory, report_inputs):
    """A baseline run, then a run in which host-b got slower: the report role gates on it."""
    tmp_path = tmp_path_factory.mktemp("ab")
    local = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    hosts = [f"host-a {local} fleetbench_test_folder={L02_SERVER}", f"host-b {local} fleetbench_test_folder={L02_SERVER}"]
    first = _run_playbook(repo_root, ansible_bin, tmp_path, report_inputs, hosts, extra_vars={"fleetbench_run_id": "before"})
    baseline = tmp_path / "results" / "before" / "results.json"
    slower = json.loads(baseline.read_text())
    # The "after" run: host-b's logs say 20% fewer tokens/s (records changed, facts untouched).
    for record in slower["records"]:
        if record["host"] == "host-b":
            record["tokens_per_second"] *= 0.8
            record["headline"]["value"] *= 0.8
        record["run_id"] = "after"
    after_dir = tmp_path / "results" / "after"
    after_dir.mkdir(parents=True)
    (after_dir / "results.json").write_text(json.dumps({**slower, "run_id": "after"}))
    return tmp_path, first, baseline


def test_report_role_fails_the_play_for_a_host_that_regressed(upgrade_runs, repo_root, ansible_bin, parsed_corpus_run):
    tmp_path, first, baseline = upgrade_runs
    assert first.returncode == 0, first.stdout[-2000:]
    play = tmp_path / "report_only.yml"
    play.write_text(
        "- name: Report against the baseline\n  hosts: localhost\n  gather_facts: false\n  roles:\n"
        "    - role: fleetbench.llm.report\n")
    variables = {"fleetbench_run_id": "after", "fleetbench_report_results_dir": str(tmp_path / "results"),
                 "fleetbench_report_baseline": str(baseline), "fleetbench_report_tolerance_pct": 5}
    env = {**os.environ, "ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{ansible_bin}:{os.environ['PATH']}"}
    inventory = f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    (tmp_path / "local.ini").write_text(inventory)
    result = subprocess.run([str(ansible_bin / "ansible-playbook"), "-i", str(tmp_path / "local.ini"), str(play),
                             "-e", json.dumps(variables)], cwd=repo_root, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 2, result.stdout[-3000:]
    assert "regression against baseline" in result.stdout and "beyond noise and 5%: host-b" in result.stdout
    markdown = (tmp_path / "results" / "after" / "report.md").read_text()
    before = parsed_corpus_run(L02_SERVER)["headline"]["value"]
    assert f"| host-b | Server | completed_tokens_per_second | {before:,.0f} | {before * 0.8:,.0f} | -20.0% |" in markdown


def test_report_verdict_reaches_awx_through_set_stats(upgrade_runs, repo_root, tmp_path):
    ansible_runner = pytest.importorskip("ansible_runner")
    results_tmp, _, baseline = upgrade_runs
    project = tmp_path / "project"
    project.mkdir()
    (project / "report.yml").write_text(
        "- name: Report against the baseline\n  hosts: localhost\n  gather_facts: false\n  roles:\n"
        "    - role: fleetbench.llm.report\n")
    variables = {"fleetbench_run_id": "before", "fleetbench_report_results_dir": str(results_tmp / "results"),
                 "fleetbench_report_baseline": str(baseline), "fleetbench_report_tolerance_pct": 5}
    runner = ansible_runner.run(
        private_data_dir=str(tmp_path), project_dir=str(project), playbook="report.yml", quiet=True,
        inventory=f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}",
        extravars=variables,
        envvars={"ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"),
                 "ANSIBLE_COLLECTIONS_PATH": str(repo_root / "collections")},
    )
    stats = next(e for e in runner.events if e.get("event") == "playbook_on_stats")

    assert runner.rc == 0
    verdict = stats["event_data"]["artifact_data"]["fleetbench_report"]
    assert verdict["passed"] is True and verdict["regressions"] == [] and verdict["run_id"] == "before"
    assert verdict["report"].endswith("results/before/report.html")


def test_formats_option_limits_what_the_callback_writes(repo_root, ansible_bin, tmp_path, report_inputs):
    local = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    result = _run_playbook(repo_root, ansible_bin, tmp_path, report_inputs, [f"host-a {local} fleetbench_test_folder={L02_SERVER}"],
                           extra_env={"FLEETBENCH_RESULTS_FORMATS": "json"})

    assert result.returncode == 0, result.stdout[-2000:]
    written = sorted(p.name for p in (tmp_path / "results" / "it-run").iterdir())
    assert written == ["report.html", "report.json", "report.md", "results.json"]


def test_callback_runs_beside_awx_stdout_callback(repo_root, tmp_path, report_inputs):
    ansible_runner = pytest.importorskip("ansible_runner")
    project = tmp_path / "project"
    project.mkdir()
    (project / "collect.yml").write_text(PLAYBOOK.read_text())
    local = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    runner = ansible_runner.run(
        private_data_dir=str(tmp_path), project_dir=str(project), playbook="collect.yml", quiet=True,
        inventory=f"[bench]\nhost-a {local} fleetbench_test_folder={L02_SERVER}\n[local]\nlocalhost {local}\n",
        extravars={"fleetbench_test_corpus": str(report_inputs.loadgen), "fleetbench_run_id": "awx-run",
                   "fleetbench_results_dir": str(tmp_path / "results")},
        envvars={"ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"), "FLEETBENCH_RESULTS_DIR": str(tmp_path / "results"),
                 "ANSIBLE_COLLECTIONS_PATH": str(repo_root / "collections")},
    )

    assert runner.rc == 0
    assert "fleetbench: host-a | Server performance #1 | VALID" in runner.stdout.read()
    records = json.loads((tmp_path / "results" / "awx-run" / "results.json").read_text())["records"]
    assert [(r["host"], r["valid"]) for r in records] == [("host-a", True)]


def test_unreadable_baseline_costs_only_the_regression_check(repo_root, ansible_bin, tmp_path, report_inputs):
    local = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    missing = tmp_path / "no-such-baseline.json"
    result = _run_playbook(repo_root, ansible_bin, tmp_path, report_inputs, [f"host-a {local} fleetbench_test_folder={L02_SERVER}"],
                           extra_env={"FLEETBENCH_BASELINE": str(missing)})

    assert f"fleetbench.llm.results: writing the JUnit file failed (ValueError: baseline {missing} cannot be read" \
        in " ".join((result.stdout + result.stderr).split())
    assert "FLEETBENCH RESULTS" in result.stdout
    assert json.loads((tmp_path / "results" / "it-run" / "results.json").read_text())["finished_at"]


def test_a_confidence_in_percent_costs_only_the_regression_check(upgrade_runs, repo_root, ansible_bin, tmp_path, report_inputs):
    _, _, baseline = upgrade_runs
    local = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    result = _run_playbook(repo_root, ansible_bin, tmp_path, report_inputs, [f"host-a {local} fleetbench_test_folder={L02_SERVER}"],
                           extra_env={"FLEETBENCH_BASELINE": str(baseline), "FLEETBENCH_CONFIDENCE": "95"})

    assert "fleetbench.llm.results: writing the JUnit file failed (ValueError: confidence must be at least 0.5 " \
        "and below 1, got 95.0)" in " ".join((result.stdout + result.stderr).split())
    assert json.loads((tmp_path / "results" / "it-run" / "results.json").read_text())["finished_at"]


def test_missing_baseline_is_named_in_one_line(upgrade_runs, repo_root, ansible_bin):
    tmp_path, _, _ = upgrade_runs
    (tmp_path / "local.ini").write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    variables = {"fleetbench_run_id": "before", "fleetbench_report_results_dir": str(tmp_path / "results"),
                 "fleetbench_report_baseline": str(tmp_path / "gone.json")}
    env = {**os.environ, "ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{ansible_bin}:{os.environ['PATH']}"}
    result = subprocess.run([str(ansible_bin / "ansible-playbook"), "-i", str(tmp_path / "local.ini"),
                             str(repo_root / "playbooks" / "report.yml"), "-e", json.dumps(variables)],
                            cwd=repo_root, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 2
    assert f"baseline {tmp_path / 'gone.json'} not found: give the results.json of an earlier run" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_results_and_report_land_beside_the_playbook_when_run_from_another_folder(repo_root, ansible_bin, tmp_path,
                                                                                     report_inputs):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    # The corpus playbook without the role's results folder: its default, and a relative one for the callback.
    play = PLAYBOOK.read_text().replace('      vars:\n        fleetbench_report_results_dir: "{{ fleetbench_results_dir }}"\n', "")
    (project / "play.yml").write_text(play)
    local = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    (project / "inventory.ini").write_text(f"[bench]\nhost-a {local} fleetbench_test_folder={L02_SERVER}\n[local]\nlocalhost {local}\n")
    env = dict(os.environ, FLEETBENCH_RESULTS_DIR="results")
    env.update(ANSIBLE_CONFIG=str(repo_root / "ansible.cfg"), ANSIBLE_CALLBACKS_ENABLED="fleetbench.llm.results",
               ANSIBLE_NOCOLOR="1", PATH=f"{ansible_bin}:{os.environ['PATH']}")
    variables = {"fleetbench_test_corpus": str(report_inputs.loadgen), "fleetbench_run_id": "cwd-run"}
    result = subprocess.run([str(ansible_bin / "ansible-playbook"), "-i", str(project / "inventory.ini"),
                             str(project / "play.yml"), "-e", json.dumps(variables)],
                            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout[-3000:]
    assert sorted(p.name for p in (project / "results" / "cwd-run").iterdir()) == [
        "report.html", "report.json", "report.md", "results.json", "results.junit.xml"]
    assert list(elsewhere.iterdir()) == []
