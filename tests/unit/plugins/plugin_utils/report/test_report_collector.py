"""The callback's bookkeeping: what it takes from task results, and what it writes."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.collector import TaskResultCollector, safe_name
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.console import record_line, summary_table
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.junit import junit_report
from tests.pytest_plugins.report import L02_SERVER, L41_INVALID_SERVER


def _record_fact(*records):
    return {"ansible_facts": {"fleetbench_run_records": list(records)}}


def test_growing_record_list_yields_each_run_once(replay_run):
    collector = TaskResultCollector()
    first = replay_run(L02_SERVER, "gpu-01", repeat=1, run_id="r1")
    second = replay_run(L02_SERVER, "gpu-01", repeat=2, run_id="r1")

    assert [r["repeat"] for r in collector.add_task_result("gpu-01", _record_fact(first))] == [1]
    assert [r["repeat"] for r in collector.add_task_result("gpu-01", _record_fact(first, second))] == [2]
    assert len(collector.document("r1")["records"]) == 2


def test_bare_module_record_without_run_id_waits_for_the_run_roles_record(replay_run):
    collector = TaskResultCollector()
    bare = replay_run(L02_SERVER, None, run_id=None, repeat=None)
    assert collector.add_task_result("gpu-01", {"loadgen": bare}) == []

    explicit = TaskResultCollector(run_id="r9")
    [taken] = explicit.add_task_result("gpu-01", {"loadgen": bare})
    assert (taken["host"], taken["run_id"]) == ("gpu-01", "r9")


def test_the_modules_complete_record_is_taken_at_once_and_its_copy_in_the_facts_adds_nothing(replay_run):
    collector = TaskResultCollector()
    record = replay_run(L02_SERVER, "gpu-01", repeat=1, run_id="r1")
    [taken] = collector.add_task_result("gpu-01", {"loadgen": record})
    assert (taken["host"], taken["run_id"], taken["repeat"]) == ("gpu-01", "r1", 1)
    assert collector.add_task_result("gpu-01", _record_fact(record)) == []
    assert len(collector.document("r1")["records"]) == 1


def test_facts_failures_and_drift_land_in_the_document(replay_run, real_gpu_facts):
    collector = TaskResultCollector()
    collector.add_task_result("gpu-01", {"ansible_facts": {"fleetbench_gpu": real_gpu_facts("570.133.07", "12.8")}})
    collector.add_task_result("gpu-01", {"ansible_facts": {"fleetbench_drift": {"summary": "uniform", "uniform": True}}})
    collector.add_task_result("gpu-01", _record_fact(replay_run(L02_SERVER, "gpu-01", run_id="r1")))
    failure = {"host": "gpu-02", "scenario": "Server", "mode": "performance", "repeat": 1,
               "cause": "harness exit 3 (engine failure)", "log_dir": "results/r1/gpu-02/Server/performance"}
    collector.add_task_result("gpu-02", {"ansible_facts": {"fleetbench_run_failures": [failure]}})
    collector.add_task_result("gpu-02", {"ansible_facts": {"fleetbench_run_failures": [failure]}})
    document = collector.document("r1")

    assert document["hosts"]["gpu-01"]["gpu"]["driver_version"] == "570.133.07"
    assert document["drift"]["summary"] == "uniform"
    assert document["failures"] == [{"host": "gpu-02", "task": "run", "message":
                                     "Server performance #1: harness exit 3 (engine failure) (logs: results/r1/gpu-02/Server/performance)"}]


def test_results_json_is_written_per_run_id_inside_the_output_folder(tmp_path, replay_run):
    collector = TaskResultCollector()
    collector.add_task_result("gpu-01", _record_fact(replay_run(L02_SERVER, "gpu-01", run_id="../../etc")))
    [path] = collector.write(str(tmp_path))

    assert path == str(tmp_path / safe_name("../../etc") / "results.json") and safe_name("../../etc") == "_.._etc"
    assert json.loads((tmp_path / "_.._etc" / "results.json").read_text())["records"][0]["host"] == "gpu-01"
    assert [p.name for p in (tmp_path / "_.._etc").iterdir()] == ["results.json"]


def test_two_runs_in_one_collector_keep_each_runs_own_facts_when_the_driver_changes_between_them(
        tmp_path, replay_run, real_gpu_facts):
    """upgrade_and_compare.yml: baseline run, driver upgrade, after run, in one playbook."""
    def gpu(driver):
        return {"ansible_facts": {"fleetbench_gpu": real_gpu_facts(driver, "12.8")}}

    def drift(summary):
        return {"ansible_facts": {"fleetbench_drift": {"summary": summary}}}

    collector = TaskResultCollector()
    collector.add_task_result("localhost", {"ansible_facts": {"fleetbench_run_id": "baseline"}})
    collector.add_task_result("gpu-01", gpu("550.54.15"))
    collector.add_task_result("gpu-01", drift("uniform before"))
    collector.add_task_result("gpu-01", _record_fact(replay_run(L02_SERVER, "gpu-01", run_id="baseline")))
    collector.write(str(tmp_path))
    collector.add_task_result("gpu-01", gpu("570.133.07"))  # the upgrade reads the new driver
    collector.add_task_result("localhost", {"ansible_facts": {"fleetbench_run_id": "after"}})
    collector.add_task_result("gpu-01", gpu("570.133.07"))
    collector.add_task_result("gpu-01", drift("uniform after"))
    collector.write(str(tmp_path))
    collector.add_task_result("gpu-01", _record_fact(replay_run(L02_SERVER, "gpu-01", run_id="after")))
    collector.add_task_result("gpu-01", _record_fact(replay_run(L02_SERVER, "gpu-01", run_id="baseline")))  # delivered again
    collector.write(str(tmp_path))

    baseline = json.loads((tmp_path / "baseline" / "results.json").read_text())
    after = json.loads((tmp_path / "after" / "results.json").read_text())
    assert (baseline["hosts"]["gpu-01"]["gpu"]["driver_version"], baseline["drift"]["summary"]) == ("550.54.15", "uniform before")
    assert (after["hosts"]["gpu-01"]["gpu"]["driver_version"], after["drift"]["summary"]) == ("570.133.07", "uniform after")


def test_junit_has_one_case_per_run_and_fails_invalid_and_unreachable(replay_run):
    collector = TaskResultCollector()
    collector.add_task_result("a", _record_fact(replay_run(L02_SERVER, "a", run_id="r1")))
    collector.add_task_result("b", _record_fact(replay_run(L41_INVALID_SERVER, "b", run_id="r1")))
    collector.add_failure("c", "unreachable: ssh: connect to host c port 22: Connection refused", "Reach the host")
    suite = ET.fromstring(junit_report(collector.document("r1"), regressed_hosts={"a"})).find("testsuite")

    cases = {(c.get("classname"), c.get("name")): c.find("failure") for c in suite.iter("testcase")}
    assert set(cases) == {("a", "Server performance repeat 0"), ("b", "Server performance repeat 0"), ("c", "Reach the host")}
    assert cases[("a", "Server performance repeat 0")].get("message").startswith("regression against the baseline")
    assert cases[("b", "Server performance repeat 0")].get("message").startswith("INVALID: early stopping")
    assert "Connection refused" in cases[("c", "Reach the host")].get("message")
    assert suite.get("failures") == "3"


def test_junit_fails_a_record_of_another_schema_version_in_its_own_case(replay_run):
    collector = TaskResultCollector()
    collector.add_task_result("a", _record_fact(replay_run(L02_SERVER, "a", run_id="r1")))
    collector.add_task_result("a", _record_fact(replay_run(L02_SERVER, "a", run_id="r1", repeat=1, schema_version=2)))
    suite = ET.fromstring(junit_report(collector.document("r1"))).find("testsuite")

    cases = {(c.get("classname"), c.get("name")): c.find("failure") for c in suite.iter("testcase")}
    assert cases[("a", "Server performance repeat 0")] is None
    assert cases[("a", "unreadable record 1")].get("message").startswith(
        "invalid result record: schema_version 2 is not supported (this code reads 1)")


def test_console_shows_the_records_own_headline_and_counts_not_stale_copies(replay_run):
    record = replay_run(L02_SERVER, "gpu-01", repeat=1, samples_completed=3, samples_issued=5, lost_samples=0,
                        headline={"name": "completed_tokens_per_second", "value": 1.0, "unit": "tokens/s"})
    line = record_line(record)
    assert "| ERROR |" in line and "samples 3/5" in line
    assert f"{record['tokens_per_second']:,.0f} tokens/s" in line


def test_console_line_and_table_show_validity_metric_and_counts(replay_run):
    valid, invalid = replay_run(L02_SERVER, "gpu-01", repeat=1), replay_run(L41_INVALID_SERVER, "gpu-02", repeat=1)
    running = replay_run(L02_SERVER, "gpu-03", status="running")

    assert record_line(valid) == ("fleetbench: gpu-01 | Server performance #1 | VALID | "
                                  f"completed_tokens_per_second {valid['headline']['value']:,.0f} tokens/s | "
                                  f"samples {valid['samples_completed']}/{valid['samples_issued']}")
    assert "| INVALID |" in record_line(invalid)
    assert "RUNNING: still running" in record_line(running) and "tokens/s" not in record_line(running)
    table = summary_table([valid, invalid, running]).splitlines()
    assert table[0].split() == ["host", "scenario", "mode", "#", "result", "metric", "completed/issued", "duration", "s"]
    assert len(table) == 5


def test_the_run_finished_fact_from_benchmark_results_fills_finished_at_before_the_playbook_ends(replay_run):
    collector = TaskResultCollector()
    collector.add_task_result("gpu-01", _record_fact(replay_run(L02_SERVER, "gpu-01", run_id="r1")))
    assert collector.document("r1")["finished_at"] is None  # the report renders inside the play
    collector.add_task_result("localhost", {"ansible_facts": {"fleetbench_run_finished": {
        "run_id": "r1", "finished_at": "2026-11-22T06:04:10Z"}}})
    assert collector.document("r1")["finished_at"] == "2026-11-22T06:04:10Z"
