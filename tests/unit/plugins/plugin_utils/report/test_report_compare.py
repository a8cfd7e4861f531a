"""A/B comparison and regression gate: before and after a driver upgrade."""
from __future__ import annotations

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.compare import compare_runs
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import fleet_report
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.records import read_run
from tests.pytest_plugins.report import L01_OFFLINE

_REPEATS = ((0, 0.998), (1, 1.0), (2, 1.002))


def _run(replay_run, results_document, run_id, scales, driver, cuda, real_gpu_facts):
    records = [replay_run(L01_OFFLINE, host, repeat=r, run_id=run_id, scale=scale * jitter)
               for host, scale in scales.items() for r, jitter in _REPEATS]
    return results_document(records, {h: real_gpu_facts(driver, cuda) for h in scales}, run_id=run_id)


def _rows(comparison):
    return {row["host"]: row for row in comparison["rows"]}


def test_driver_upgrade_regression_beyond_noise_and_tolerance_fails_the_gate(replay_run, results_document, real_gpu_facts):
    before = _run(replay_run, results_document, "before", {"a": 1.0, "b": 1.0, "c": 1.0}, "535.247.01", "12.2", real_gpu_facts)
    after = _run(replay_run, results_document, "after", {"a": 1.4, "b": 0.9, "c": 1.001}, "570.133.07", "12.8", real_gpu_facts)
    comparison = compare_runs(after, before, tolerance_pct=5)
    rows = _rows(comparison)

    assert rows["a"]["verdict"] == "better" and not rows["a"]["regressed"]
    assert rows["b"]["verdict"] == "worse" and rows["b"]["regressed"]
    assert rows["b"]["change_pct"] == rows["b"]["change_pct"] and round(rows["b"]["change_pct"]) == -10
    assert rows["b"]["p_value"] < 0.05
    assert rows["c"]["verdict"] == "no difference measurable" and not rows["c"]["regressed"]
    assert {"label": "driver", "before": "535.247.01", "after": "570.133.07"} in rows["b"]["config_changes"]
    assert comparison["regressions"] == ["b"] and comparison["passed"] is False


def test_worse_within_tolerance_is_not_a_regression(replay_run, results_document, real_gpu_facts):
    before = _run(replay_run, results_document, "before", {"a": 1.0}, "570.133.07", "12.8", real_gpu_facts)
    after = _run(replay_run, results_document, "after", {"a": 0.97}, "570.133.07", "12.8", real_gpu_facts)
    row = _rows(compare_runs(after, before, tolerance_pct=5))["a"]

    assert row["verdict"] == "worse" and row["regressed"] is False and row["config_changes"] == []


def test_a_higher_confidence_keeps_a_small_change_inside_the_band(replay_run, results_document, real_gpu_facts):
    before = _run(replay_run, results_document, "before", {"a": 1.0}, "570.133.07", "12.8", real_gpu_facts)
    after = _run(replay_run, results_document, "after", {"a": 0.994}, "570.133.07", "12.8", real_gpu_facts)
    at_95 = compare_runs(after, before, tolerance_pct=0.1)
    at_99 = compare_runs(after, before, tolerance_pct=0.1, confidence=0.99)

    # -0.6% against a 0.2% run-to-run spread with 4 df: outside the 95% band, inside the 99% one.
    assert _rows(at_95)["a"]["verdict"] == "worse" and at_95["regressions"] == ["a"]
    assert _rows(at_99)["a"]["verdict"] == "no difference measurable" and at_99["passed"] is True
    assert _rows(at_99)["a"]["band_pct"] > _rows(at_95)["a"]["band_pct"]
    assert at_99["noise"]["confidence"] == 0.99 and "Holm over 1 host at 99%" in at_99["noise"]["method"]


def test_single_runs_are_judged_against_the_assumed_band(replay_run, results_document):
    before = results_document([replay_run(L01_OFFLINE, "a", run_id="before")], run_id="before")
    after = results_document([replay_run(L01_OFFLINE, "a", run_id="after", scale=0.96)], run_id="after")
    comparison = compare_runs(after, before, tolerance_pct=2)

    assert _rows(comparison)["a"]["verdict"] == "no difference measurable"
    assert comparison["noise"]["method"].startswith("assumed 5%")
    assert comparison["passed"] is True


def test_host_without_a_result_after_the_upgrade_fails_the_gate(replay_run, results_document):
    before = results_document([replay_run(L01_OFFLINE, h, run_id="before") for h in ("a", "b")], run_id="before")
    after = results_document([replay_run(L01_OFFLINE, "a", run_id="after"),
                              replay_run(L01_OFFLINE, "b", run_id="after", status="failed", valid=None)], run_id="after")
    comparison = compare_runs(after, before, tolerance_pct=5)

    assert _rows(comparison)["b"]["verdict"] == "no VALID result in this run (the baseline had one)"
    assert comparison["regressions"] == ["b"]


def test_report_with_baseline_carries_the_comparison_and_the_verdict(replay_run, results_document, real_gpu_facts):
    before = _run(replay_run, results_document, "before", {"a": 1.0, "b": 1.0}, "535.247.01", "12.2", real_gpu_facts)
    after = _run(replay_run, results_document, "after", {"a": 1.0, "b": 0.8}, "570.133.07", "12.8", real_gpu_facts)
    rendered = fleet_report(after, baseline=before, tolerance_pct=5)

    assert rendered["verdict"]["regressions"] == ["b"] and rendered["verdict"]["passed"] is False
    assert "## Compared with baseline run before" in rendered["markdown"]
    assert "driver 535.247.01 -> 570.133.07" in rendered["markdown"]
    assert 'id="chart-before-after"' in rendered["html"]


def test_the_report_and_the_comparison_share_one_reading_of_each_document(replay_run, results_document, real_gpu_facts):
    before = _run(replay_run, results_document, "before", {"a": 1.0, "b": 1.0}, "535.247.01", "12.2", real_gpu_facts)
    after = _run(replay_run, results_document, "after", {"a": 1.3, "b": 1.0}, "570.133.07", "12.8", real_gpu_facts)
    read_after, read_before = read_run(after), read_run(before)

    assert read_run(read_after) is read_after
    assert compare_runs(read_after, read_before, tolerance_pct=5) == compare_runs(after, before, tolerance_pct=5)
    assert _rows(compare_runs(read_after, read_before))["a"]["verdict"] == "better"
