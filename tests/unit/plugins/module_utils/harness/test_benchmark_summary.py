"""Summing up a run across the fleet: failed hosts, their one-line causes, fleet totals."""
from __future__ import annotations

import json

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.harness.benchmark_summary import (
    fleet_totals,
    summarize,
    write_summary,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import ResultRecordError


def record(host, value, status="complete", scenario="Offline", repeat=1, **extra):
    """A record as the module returns it; `value` is its headline (tokens/s, or p90 latency for SingleStream)."""
    metric = {"latency_ns": {"p90": value}} if scenario == "SingleStream" else {"tokens_per_second": value}
    return dict({"schema_version": 1, "host": host, "run_id": "r1", "repeat": repeat, "scenario": scenario,
                 "scenario_label": scenario, "mode": "performance", "status": status, "valid": True,
                 "samples_issued": 64, "samples_completed": 64, **metric,
                 "source": {"dir": f"results/r1/{host}/{scenario}/performance"}}, **extra)


def test_a_run_failure_is_one_line_with_host_scenario_cause_and_logs():
    failure = {"host": "n2", "scenario": "Server", "mode": "performance", "repeat": 1,
               "cause": "harness killed by SIGKILL in phase running", "log_dir": "results/r1/n2/Server/performance"}
    summary = summarize("r1", "per_host", ["n1", "n2"], [record("n1", 10.0)], [failure], [], ["n1", "n2"])
    assert summary["failed_hosts"] == ["n2"]
    assert summary["failure_lines"] == {"n2": [
        "n2 Server/performance #1: harness killed by SIGKILL in phase running (logs: results/r1/n2/Server/performance)"]}
    assert summary["hosts"]["n1"]["status"] == "ok" and summary["hosts"]["n1"]["runs_final"] == 1


def test_a_host_failure_names_its_stage():
    failure = {"host": "n3", "stage": "check", "cause": "unreachable: connection refused"}
    summary = summarize("r1", "per_host", ["n3"], [], [], [failure], [])
    assert summary["failure_lines"]["n3"] == ["n3: check failed: unreachable: connection refused"]
    assert summary["hosts"]["n3"]["failed_stage"] == "check"


def test_a_host_that_vanished_without_a_recorded_cause_still_counts_as_failed():
    summary = summarize("r1", "per_host", ["n1", "n4"], [record("n1", 1.0)], [], [], ["n1"])
    assert summary["failed_hosts"] == ["n4"]
    assert "did not reach the end" in summary["failure_lines"]["n4"][0]


def test_fleet_total_sums_only_final_runs_and_lists_the_missing_hosts():
    records = [record("n1", 100.0), record("n2", 120.0), record("n3", 80.0, status="partial")]
    (total,) = fleet_totals(records, ["n1", "n2", "n3"])
    assert total["total"] == 220.0
    assert total["per_host"] == {"n1": 100.0, "n2": 120.0}
    assert total["mean_per_host"] == 110.0
    assert total["hosts_missing"] == ["n3"]


def test_a_run_that_lost_samples_is_not_in_the_fleet_total():
    (total,) = fleet_totals([record("n1", 100.0), record("n2", 90.0, samples_completed=60)], ["n1", "n2"])
    assert total["per_host"] == {"n1": 100.0}


def test_latencies_are_never_summed_across_hosts():
    records = [record(h, 5e6, scenario="SingleStream") for h in ("n1", "n2")]
    (total,) = fleet_totals(records, ["n1", "n2"])
    assert total["total"] is None and total["mean_per_host"] == 5e6


def test_fleet_totals_are_per_scenario_and_repeat():
    records = [record("n1", 1.0, repeat=1), record("n1", 2.0, repeat=2), record("n1", 3.0, scenario="Server")]
    keys = [(t["scenario"], t["repeat"]) for t in fleet_totals(records, ["n1"])]
    assert keys == [("Offline", 1), ("Offline", 2), ("Server", 1)]


def test_per_host_mode_has_no_fleet_totals_and_fleet_mode_has():
    assert "fleet_totals" not in summarize("r1", "per_host", ["n1"], [record("n1", 1.0)], [], [], ["n1"])
    assert summarize("r1", "fleet", ["n1"], [record("n1", 1.0)], [], [], ["n1"])["fleet_totals"]


def test_summary_is_written_into_the_folder_given(tmp_path):
    path = write_summary(str(tmp_path / "r1"), {"run_id": "r1"})
    assert path == str(tmp_path / "r1" / "benchmark.json")
    assert json.loads((tmp_path / "r1" / "benchmark.json").read_text()) == {"run_id": "r1"}


def test_the_headline_is_the_records_own_never_a_copy_handed_in():
    handed = record("n1", 100.0, headline={"name": "tokens_per_second", "value": 1.0, "unit": "tokens/s"})
    summary = summarize("r1", "fleet", ["n1"], [handed], [], [], ["n1"])
    assert summary["headlines"]["n1"][0]["headline"] == {"name": "tokens_per_second", "value": 100.0, "unit": "tokens/s"}
    assert summary["fleet_totals"][0]["total"] == 100.0
    assert summary["records"] == [handed]


def test_a_record_of_another_schema_version_stops_the_summary_with_one_line():
    with pytest.raises(ResultRecordError, match="^invalid result record: schema_version 2 is not supported"):
        summarize("r1", "per_host", ["n1"], [record("n1", 1.0, schema_version=2)], [], [], ["n1"])


def measured(start: str, end: str) -> dict:
    return {"run_info": {"measured": {"start": start, "end": end, "duration_s": 60.0, "progress": []}}}


def test_a_fleet_total_says_whether_its_hosts_measured_together():
    together = [record("n1", 100.0, **measured("2026-12-07T13:00:00+00:00", "2026-12-07T13:01:00+00:00")),
                record("n2", 100.0, **measured("2026-12-07T13:00:01+00:00", "2026-12-07T13:01:01+00:00"))]
    (total,) = fleet_totals(together, ["n1", "n2"])
    assert total["measured_together"] == {
        "fleet_wide": True, "overlap_s": 59.0, "overlap_pct": 98.3,
        "verdict": "fleet-wide: all 2 hosts measured together for 59.0 s, 98.3% of the shortest run"}
    apart = [record("n1", 100.0, **measured("2026-12-07T13:00:00+00:00", "2026-12-07T13:01:00+00:00")),
             record("n2", 100.0, **measured("2026-12-07T13:00:30+00:00", "2026-12-07T13:01:30+00:00"))]
    (total,) = fleet_totals(apart, ["n1", "n2"])
    assert total["measured_together"]["fleet_wide"] is False and total["measured_together"]["overlap_pct"] == 50.0
    (total,) = fleet_totals([record("n1", 100.0)], ["n1"])
    assert total["measured_together"]["verdict"].startswith("not fleet-wide: no measured start and end for n1")
