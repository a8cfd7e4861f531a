"""The AWX project files: the survey asks for variables the playbook really reads, and
ansible-builder accepts the execution environment definition."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from tests.pytest_plugins.paths import REPO

SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def documented_variables() -> set[str]:
    names = {"fleetbench_hosts", "fleetbench_run_id"}  # read by playbooks/benchmark.yml itself
    for role in ("benchmark_run", "harness_deploy", "preflight"):
        spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
        names |= set(spec["argument_specs"]["main"]["options"])
    return names


def survey() -> list[dict]:
    return json.loads((REPO / "awx" / "survey_spec.json").read_text())["spec"]


@pytest.mark.parametrize("question", survey(), ids=lambda q: q["variable"])
def test_survey_question_is_well_formed_and_read_by_the_playbook(question):
    assert question["type"] in SURVEY_TYPES
    assert question["variable"] in documented_variables()
    if question["type"] in {"multiplechoice", "multiselect"}:
        defaults = question["default"].split("\n") if question["default"] else []
        assert set(defaults) <= set(question["choices"])


def test_survey_choices_match_the_role_choices():
    spec = yaml.safe_load((REPO / "roles" / "benchmark_run" / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    for question in survey():
        if question["variable"] in options and "choices" in options[question["variable"]]:
            assert question["choices"] == options[question["variable"]]["choices"], question["variable"]


def test_the_hub_token_is_a_password_question():
    (token,) = [q for q in survey() if q["variable"] == "fleetbench_hub_token"]
    assert token["type"] == "password"


def test_ansible_builder_makes_a_build_context_with_the_pinned_requirements(tmp_path):
    builder = shutil.which("ansible-builder") or str(REPO / ".venv" / "bin" / "ansible-builder")
    result = subprocess.run([builder, "create", "-f", "awx/execution-environment.yml", "-c", str(tmp_path / "ctx")],
                            cwd=REPO, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    requirements = (tmp_path / "ctx" / "_build" / "requirements.txt").read_text()
    assert "ansible-runner==" in requirements and "jsonschema==" in requirements
    assert "openssh-client" in (tmp_path / "ctx" / "_build" / "bindep.txt").read_text()
    assert "quay.io/ansible/awx-ee:24.6.1" in (tmp_path / "ctx" / "Dockerfile").read_text()


def sliced_export() -> dict:
    return json.loads((REPO / "awx" / "fleetbench-sliced.json").read_text())


def test_the_sliced_template_marks_its_jobs_as_slices_of_the_same_count():
    (sliced,) = [t for t in sliced_export()["job_templates"] if t["playbook"] == "benchmark.yml"]
    assert sliced["job_slice_count"] > 1
    assert yaml.safe_load(sliced["extra_vars"])["fleetbench_slice_count"] == sliced["job_slice_count"]
    assert sliced["related"]["instance_groups"] and sliced["related"]["survey_spec"] == json.loads(
        (REPO / "awx" / "survey_spec.json").read_text())


def test_the_workflow_runs_the_report_after_the_slices_on_the_same_results_folder():
    export = sliced_export()
    templates = {t["name"]: t for t in export["job_templates"]}
    (workflow,) = export["workflow_job_templates"]
    nodes = {n["identifier"]: n for n in workflow["related"]["workflow_nodes"]}
    assert templates[nodes["slices"]["unified_job_template"]["name"]]["playbook"] == "benchmark.yml"
    assert templates[nodes["report"]["unified_job_template"]["name"]]["playbook"] == "playbooks/report.yml"
    assert [n["identifier"] for n in nodes["slices"]["related"]["always_nodes"]] == ["report"]
    folders = {yaml.safe_load(t["extra_vars"])["fleetbench_results_dir"] for t in templates.values()}
    assert len(folders) == 1 and all((REPO / t["playbook"]).is_file() for t in templates.values())
