"""LoadGen's own error events count as errors everywhere: the callback's line, the result
column and the report verdict (issue 13; report_honesty used to ignore record['errors'])."""
from __future__ import annotations

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.console import record_line
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet import build_report
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import record_errors, validity_label
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import ResultRecord


def _record(errors: list[str], issued: int = 100, completed: int = 100) -> dict:
    return ResultRecord(
        scenario="Offline", mode="performance", status="complete", host="h1", valid=True,
        tokens_per_second=1000.0, samples_per_second=10.0, samples_issued=issued, samples_completed=completed,
        duration_s=600.0, errors=errors,
    ).to_dict()


def test_a_loadgen_error_makes_the_record_an_error():
    record = _record(["error_runtime: boom (logged 3 times)"])
    assert record_errors(record) == ["error_runtime: boom (logged 3 times)"]
    assert validity_label(record) == "ERROR"


def test_the_callback_line_says_error():
    assert "| ERROR |" in record_line(_record(["error_runtime: boom"]))
    assert "| VALID |" in record_line(_record([]))


def test_the_report_verdict_counts_loadgen_errors():
    verdict = build_report({"records": [_record(["error_runtime: boom"])]})["verdict"]
    assert verdict["passed"] is False and verdict["errors"] == 1
    assert build_report({"records": [_record([])]})["verdict"]["passed"] is True


def test_lost_samples_are_said_once():
    record = _record(["5 of 10 issued samples never completed (5 did)"], issued=10, completed=5)
    assert record_errors(record) == ["5 of 10 issued samples never completed (5 did)"]
    assert len(record_errors(_record([], issued=10, completed=5))) == 1
