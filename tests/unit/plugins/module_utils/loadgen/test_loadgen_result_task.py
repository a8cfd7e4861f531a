"""What the loadgen_result module returns: the complete record, named by the caller."""
from __future__ import annotations

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.result_task import RunIdentity, run_loadgen_result
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import ResultRecord
from tests.pytest_plugins.report import L02_SERVER, L41_INVALID_SERVER


def test_the_record_comes_back_with_what_names_the_run(report_inputs):
    identity = RunIdentity(host="gpu-01", run_id="r1", repeat=2, scenario_label="Interactive", fleet_mode="fleet")
    outcome = run_loadgen_result(str(report_inputs.loadgen / L02_SERVER), None, 0, False, identity)

    record = ResultRecord.from_dict(outcome.result["loadgen"])
    assert (record.host, record.run_id, record.repeat) == ("gpu-01", "r1", 2)
    assert (record.scenario_label, record.fleet_mode) == ("Interactive", "fleet")
    assert outcome.result["not_final_reason"] is None and outcome.result["run_failure"] is None


def test_what_is_not_given_is_left_as_the_logs_say(report_inputs):
    outcome = run_loadgen_result(str(report_inputs.loadgen / L02_SERVER), None, 0, False)

    record = outcome.result["loadgen"]
    assert (record["host"], record["run_id"], record["repeat"]) == (None, None, None)
    assert record["scenario_label"] == "Server" and record["fleet_mode"] == "per_host"


def test_an_invalid_run_is_a_run_failure_with_loadgens_reasons(report_inputs):
    outcome = run_loadgen_result(str(report_inputs.loadgen / L41_INVALID_SERVER), None, 0, True)

    assert outcome.failure is None  # INVALID is final: LoadGen finished and judged it
    assert outcome.result["run_failure"]["outcome"] == "invalid"
    assert outcome.result["run_failure"]["cause"].startswith("LoadGen INVALID: ")
