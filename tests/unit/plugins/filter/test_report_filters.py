"""The filters as Ansible calls them: a one-line AnsibleFilterError on bad input, never a traceback."""
from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fleetbench.llm.plugins.filter.fleet_report import FilterModule
from tests.pytest_plugins.report import DOWN_HOST, L01_OFFLINE, MATHS_HOST, TEMPLATE_HOST, hostile_values

FILTERS = FilterModule().filters()


def test_filters_are_registered_under_their_names():
    assert set(FILTERS) == {"fleet_report", "compare_runs"}


@pytest.mark.parametrize("results, message", [
    ("not a mapping", "fleet_report: results must be a mapping (results.json), got str"),
    ({"run_id": "r1"}, "fleet_report: results has no 'records' list: is this a results.json written by fleetbench.llm.results?"),
])
def test_fleet_report_names_what_is_wrong_with_its_input(results, message):
    with pytest.raises(AnsibleFilterError) as raised:
        FILTERS["fleet_report"](results)
    assert raised.value.message == message


def test_a_confidence_given_in_percent_is_refused_in_one_line(replay_run, results_document):
    with pytest.raises(AnsibleFilterError) as raised:
        FILTERS["fleet_report"](results_document([replay_run(L01_OFFLINE, "a")]), confidence=95)
    assert raised.value.message == "fleet_report: confidence must be at least 0.5 and below 1, got 95.0"


def test_compare_runs_rejects_a_baseline_that_is_not_a_results_document(replay_run, results_document):
    with pytest.raises(AnsibleFilterError, match="^compare_runs: results has no 'records' list"):
        FILTERS["compare_runs"](results_document([replay_run(L01_OFFLINE, "a")]), {"records": None})


def test_fleet_report_returns_all_three_formats_and_the_verdict(replay_run, results_document):
    report = FILTERS["fleet_report"](results_document([replay_run(L01_OFFLINE, "a")]), default_noise_pct=2)
    assert set(report) == {"markdown", "html", "json", "verdict"}
    assert report["verdict"] == {"passed": True, "errors": 0, "regressions": []}
    assert "Noise band: assumed 2%" in report["markdown"]


def test_the_same_inputs_rendered_again_keep_the_earlier_report_and_its_time(replay_run, results_document):
    results = results_document([replay_run(L01_OFFLINE, "a")])
    first = FILTERS["fleet_report"](results)
    earlier = json.loads(first["json"])
    earlier["run"]["generated_at"] = "2026-01-01T00:00:00Z"
    previous = json.dumps(earlier, indent=2, sort_keys=True) + "\n"

    again = FILTERS["fleet_report"](results, previous_json=previous)

    assert again["json"] == previous
    assert "2026-01-01T00:00:00Z" in again["markdown"] and "2026-01-01T00:00:00Z" in again["html"]
    # The template engine may hand the file over already read as JSON.
    assert FILTERS["fleet_report"](results, previous_json=earlier)["json"] == previous


@pytest.mark.parametrize("previous", ["", "{broken", "[]", json.dumps({"run": {}})])
def test_no_usable_earlier_report_means_a_report_of_now(replay_run, results_document, previous):
    report = json.loads(FILTERS["fleet_report"](results_document([replay_run(L01_OFFLINE, "a")]), previous_json=previous)["json"])
    assert report["run"]["generated_at"] != "2026-01-01T00:00:00Z"


def test_a_report_that_says_something_new_gets_the_time_of_now(replay_run, results_document):
    earlier = json.loads(FILTERS["fleet_report"](results_document([replay_run(L01_OFFLINE, "a")]))["json"])
    earlier["run"]["generated_at"] = "2026-01-01T00:00:00Z"

    report = FILTERS["fleet_report"](results_document([replay_run(L01_OFFLINE, "a"), replay_run(L01_OFFLINE, "b")]),
                                     previous_json=json.dumps(earlier))

    assert json.loads(report["json"])["run"]["generated_at"] != "2026-01-01T00:00:00Z"


@pytest.fixture
def hostile_fleet(replay_run, results_document):
    values = hostile_values()
    records = [replay_run(L01_OFFLINE, host, repeat=1, **values[host]["record"]) for host in values]
    return results_document(records, {host: values[host]["gpu"] for host in values},
                            failures=[{"host": DOWN_HOST, "message": "unreachable", "task": "ping"}])


def test_a_hostile_fleet_renders_in_all_three_formats(hostile_fleet):
    report = FILTERS["fleet_report"](hostile_fleet)
    assert json.loads(report["json"])["run"]["hosts"] == sorted(hostile_values())
    assert report["verdict"]["errors"] == 3


@pytest.mark.parametrize("name", [TEMPLATE_HOST, MATHS_HOST, "{% if x %}", "${HOME}", "$(date)", "`date`"])
def test_a_host_name_with_template_or_shell_syntax_renders_as_text(replay_run, results_document, name):
    report = FILTERS["fleet_report"](results_document([replay_run(L01_OFFLINE, name), replay_run(L01_OFFLINE, "b")]))
    assert name in json.loads(report["json"])["run"]["hosts"]


def test_a_nan_or_infinity_is_named_and_the_json_stays_json(replay_run, results_document):
    records = [replay_run(L01_OFFLINE, "a", ttft_ns={"p50": float("inf")}), replay_run(L01_OFFLINE, "b")]
    report = FILTERS["fleet_report"](results_document(records, {"b": {"gpus": [{"power_limit_enforced_w": float("nan")}]}}))
    assert "a Offline repeat 0: ERROR: unreadable result: ttft_ns.p50 is infinity" in json.loads(report["json"])["errors"]
    assert "not a number" in report["markdown"]
