"""The upgrade-and-compare playbooks and their AWX survey: what a job template relies on."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.pytest_plugins.paths import REPO

PLAYBOOKS = REPO / "playbooks"


def survey() -> list[dict]:
    return json.loads((REPO / "awx" / "survey_upgrade_and_compare.json").read_text())["spec"]


def role_options(role: str) -> set[str]:
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return {name for entry in spec["argument_specs"].values() for name in entry.get("options", {})}


def plays(playbook: str) -> list[dict]:
    return yaml.safe_load((PLAYBOOKS / playbook).read_text())


@pytest.mark.parametrize("question", survey(), ids=lambda q: q["variable"])
def test_every_survey_question_sets_a_variable_the_playbooks_read(question):
    playbook_vars = {name for path in PLAYBOOKS.glob("*.yml") for name in re.findall(r"fleetbench_\w+", path.read_text())}
    readers = playbook_vars | role_options("benchmark_run") | role_options("preflight") \
        | role_options("driver_upgrade") | role_options("nvidia_driver") | role_options("report")
    assert question["variable"] in readers
    if question["type"] == "multiplechoice":
        assert question["default"] in question["choices"]


def test_the_playbook_runs_baseline_check_upgrade_benchmark_in_that_order():
    imported = [play.get("ansible.builtin.import_playbook") for play in plays("upgrade_and_compare.yml")]
    assert [name for name in imported if name] == ["benchmark.yml", "upgrade_between_runs.yml", "benchmark.yml"]
    names = [play["name"] for play in plays("upgrade_and_compare.yml")]
    assert names.index("Stop before upgrading anything when the baseline is not complete") \
        == names.index("Baseline benchmark") + 1


def test_the_baseline_check_ends_the_whole_playbook_when_it_fails():
    check = next(p for p in plays("upgrade_and_compare.yml") if p["name"].startswith("Stop before upgrading"))
    assert check["any_errors_fatal"] is True
    before = next(p for p in plays("upgrade_between_runs.yml") if p["name"] == "Run the steps before the upgrade")
    assert before["any_errors_fatal"] is True


def test_the_upgrade_node_hands_a_fresh_run_id_and_the_baseline_to_the_next_benchmark():
    last = plays("upgrade_between_runs.yml")[-1]
    data = last["tasks"][0]["ansible.builtin.set_stats"]["data"]
    assert set(data) == {"fleetbench_baseline_run_id", "fleetbench_run_id", "fleetbench_report_baseline"}
    assert "after_run_id" in data["fleetbench_run_id"]
