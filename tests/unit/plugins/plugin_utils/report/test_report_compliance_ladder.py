"""The report's compliance ladder per run, and the Server-above-Offline check, on parsed real runs."""
from __future__ import annotations

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.mlperf_compliance import rung
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.compare import compare_runs
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import fleet_report
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet import build_report
from tests.pytest_plugins.report import L01_OFFLINE, L02_SERVER

PASSED_1_TO_4 = {"rungs": [rung(name, True, f"{name} checked") for name in ("settings", "engine", "dataset", "model")],
                 "first_missed": None}
PREFIX_CACHE_ON = {"rungs": [rung("settings", True, "official LoadGen settings"),
                             rung("engine", False, "prefix cache on: prompts reused across queries"),
                             rung("dataset", True, "MLPerf set"), rung("model", True, "reference")],
                   "first_missed": rung("engine", False, "prefix cache on: prompts reused across queries")}


def accuracy_record(replay_run, host: str, passed: bool | None) -> dict:
    record = replay_run(L01_OFFLINE, host, compliance=PASSED_1_TO_4, compliant=True)
    record.update(mode="accuracy", valid=None, headline=None, accuracy={"rouge1": 38.9, "passed": passed})
    return record


def row(report: dict, host: str, scenario: str = "Offline") -> dict:
    return next(r for r in report["rows"] if r["host"] == host and r["scenario"] == scenario)


def test_a_run_on_every_rung_with_a_passing_accuracy_run_is_mlperf_compliant(replay_run, results_document):
    records = [replay_run(L01_OFFLINE, "a", compliance=PASSED_1_TO_4, compliant=True),
               accuracy_record(replay_run, "a", passed=True)]
    report = build_report(results_document(records))
    assert row(report, "a")["compliance"]["text"] == "MLPerf-compliant"
    assert report["run"]["compliance"].startswith("MLPerf-compliant: every run passed every rung")


def test_without_an_accuracy_run_in_the_run_id_the_accuracy_rung_is_the_one_missed(replay_run, results_document):
    report = build_report(results_document([replay_run(L01_OFFLINE, "a", compliance=PASSED_1_TO_4, compliant=True)]))
    assert row(report, "a")["compliance"]["text"] == "not compliant: accuracy (no accuracy run in this run id)"


def test_an_accuracy_run_below_target_fails_the_last_rung(replay_run, results_document):
    records = [replay_run(L01_OFFLINE, "a", compliance=PASSED_1_TO_4, compliant=True),
               accuracy_record(replay_run, "a", passed=False)]
    assert row(build_report(results_document(records)), "a")["compliance"]["text"] == (
        "not compliant: accuracy (accuracy run below the 99% targets)")


def test_an_official_run_with_prefix_caching_on_is_reported_not_compliant_in_words(replay_run, results_document):
    records = [replay_run(L01_OFFLINE, "a", compliance=PREFIX_CACHE_ON, compliant=False),
               accuracy_record(replay_run, "a", passed=True)]
    report = build_report(results_document(records))
    assert row(report, "a")["compliance"]["text"] == "not compliant: engine (prefix cache on: prompts reused across queries)"
    assert report["run"]["compliance"] == "NOT compliant: engine (prefix cache on: prompts reused across queries)"
    assert "engine not as the rules allow (prefix cache on: prompts reused across queries)" in row(report, "a")["not_representative"]
    markdown = fleet_report(results_document(records))["markdown"]
    assert "not compliant: engine (prefix cache on: prompts reused across queries)" in markdown


def test_server_above_the_same_hosts_offline_beyond_the_noise_is_flagged_with_likely_causes(replay_run, results_document):
    offline = replay_run(L01_OFFLINE, "a", compliance=PREFIX_CACHE_ON)
    server = replay_run(L02_SERVER, "a", scale=1.3, compliance=PREFIX_CACHE_ON)
    report = build_report(results_document([offline, server]))
    (check,) = report["consistency"]
    assert check["flagged"] and check["margin_pct"] == 5.0 and round(check["above_pct"]) == 22
    assert "impossible for a sound measurement" in check["text"]
    assert "recorded: prefix cache on: prompts reused across queries" in check["text"]
    assert "an Offline run too short to fill the batch" in check["text"]
    assert "IMPOSSIBLE: a: Server" in fleet_report(results_document([offline, server]))["markdown"]


def test_server_below_its_offline_reads_as_such_and_a_small_excess_stays_within_the_margin(replay_run, results_document):
    offline = replay_run(L01_OFFLINE, "a")
    below = build_report(results_document([offline, replay_run(L02_SERVER, "a")]))["consistency"][0]
    assert not below["flagged"] and below["text"].endswith("Server reads below its Offline")
    within = build_report(results_document([offline, replay_run(L02_SERVER, "a", scale=1.1)]))["consistency"][0]
    assert not within["flagged"] and within["text"].endswith("within the margin")


def test_the_margin_is_the_larger_within_host_spread_when_repeats_measured_one(replay_run, results_document):
    records = [replay_run(L01_OFFLINE, "a", repeat=i, scale=s) for i, s in enumerate((0.8, 1.0, 1.2))]
    records += [replay_run(L02_SERVER, "a", repeat=i, scale=1.12) for i in range(3)]
    (check,) = build_report(results_document(records))["consistency"]
    assert round(check["margin_pct"], 6) == 20.0 and not check["flagged"]


def test_the_ab_comparison_carries_the_current_runs_impossible_pairs(replay_run, results_document):
    current = results_document([replay_run(L01_OFFLINE, "a", run_id="after"),
                                replay_run(L02_SERVER, "a", run_id="after", scale=1.3)], run_id="after")
    baseline = results_document([replay_run(L01_OFFLINE, "a", run_id="before")], run_id="before")
    assert [c["flagged"] for c in compare_runs(current, baseline)["consistency"]] == [True]
