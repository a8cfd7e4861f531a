"""The parser on output the real mlcommons-loadgen (6.x) wrote in this test session."""
from __future__ import annotations

import json
import math

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir
from tests.pytest_plugins.loadgen_fixtures import LLM_TOKENS, LOADGEN_RUNS


LATENCY_CHECKS = {"performance_constraints", "early_stopping", "loadgen_recommendation"}


@pytest.fixture(scope="module")
def records(loadgen_runs):
    return {name: parse_result_dir(str(path)) for name, path in loadgen_runs.items()}


@pytest.mark.parametrize("name", sorted(LOADGEN_RUNS))
def test_every_run_is_complete_and_read_without_problems(records, name):
    record = records[name]
    spec = LOADGEN_RUNS[name]
    if spec.expect_errors:
        # One-token answers: LoadGen logs an error per sample and 0 tokens/s, a headline no
        # final result may carry.
        assert [p["message"] for p in record.problems] == ["headline completed_tokens_per_second is 0: not a positive number"]
        assert record.status == "partial" and not record.is_final
        assert bool(record.errors)
        return
    assert record.problems == []
    assert record.status == "complete" and record.is_final
    assert (record.scenario, record.mode) == (spec.scenario, spec.mode)
    if spec.latency_bound and record.valid is False:
        assert {r["check"] for r in record.invalid_reasons} <= LATENCY_CHECKS, record.invalid_reasons
    else:
        assert record.valid is spec.expect_valid
    assert record.loadgen["version"].startswith("6.")
    assert bool(record.errors) is spec.expect_errors


@pytest.mark.parametrize("name", sorted(n for n, s in LOADGEN_RUNS.items() if s.mode == "performance"))
def test_lowered_settings_are_recorded_and_marked_not_compliant(records, name):
    record = records[name]
    for setting in LOADGEN_RUNS[name].settings:
        key, _, value = setting.partition("=")
        if key == "min_duration_ms":
            assert record.settings["min_duration_ms"] == int(value)
    assert record.compliant is False
    assert record.samples_issued == record.samples_completed > 0
    assert record.duration_s is not None


def test_offline_headline_is_tokens_per_second(records):
    record = records["offline_performance"]
    assert record.headline["name"] == "tokens_per_second" and record.headline["unit"] == "tokens/s"
    # Every answer carries LLM_TOKENS tokens; LoadGen prints 6 significant digits.
    assert record.tokens_per_second == pytest.approx(record.samples_per_second * LLM_TOKENS, rel=1e-5)


def test_server_reports_first_token_and_per_token_latencies(records):
    record = records["server_performance"]
    assert record.headline["name"] == "completed_tokens_per_second"
    assert record.settings["target_qps"] == 4000
    assert record.settings["use_token_latencies"] is True
    for table in (record.latency_ns, record.ttft_ns, record.tpot_ns):
        assert {"mean", "min", "max", "p50", "p90", "p99", "p99.9"} <= set(table)
        assert table["min"] <= table["p50"] <= table["p99"] <= table["max"]
    # FirstTokenComplete comes before the sample completes.
    assert record.ttft_ns["p50"] <= record.latency_ns["p50"]
    assert record.samples_issued >= 1000


def test_singlestream_headline_is_p90_latency(records):
    record = records["singlestream_performance"]
    assert record.headline == {"name": "p90_latency", "value": record.latency_ns["p90"], "unit": "ns"}
    assert record.ttft_ns["p90"] > 0


def test_multistream_is_judged_on_per_query_p99(records):
    record = records["multistream_performance"]
    assert record.headline == {"name": "p99_latency", "value": record.latency_ns["p99"], "unit": "ns"}
    assert record.ttft_ns is None and record.tokens_per_second is None


def test_invalid_run_says_why(records):
    record = records["offline_invalid"]
    assert record.valid is False
    checks = [reason["check"] for reason in record.invalid_reasons]
    assert checks == ["min_duration", "loadgen_recommendation"]
    assert "Increase expected QPS" in record.invalid_reasons[1]["message"]


@pytest.mark.parametrize("name", ["offline_accuracy", "server_accuracy"])
def test_accuracy_runs_have_no_headline_and_count_logged_samples(records, name):
    record = records[name]
    assert record.headline is None and record.valid is None
    assert record.extra["accuracy_log_entries"] == record.samples_issued == 64


def test_records_survive_a_json_round_trip(records):
    for record in records.values():
        assert json.loads(json.dumps(record.to_dict()))["status"] == record.status


def test_an_error_logged_per_sample_is_reported_once_with_its_count(records):
    record = records["server_one_token"]
    [error] = record.errors
    assert error == f"error_runtime: Number of tokens need to be greater than 1 (logged {record.samples_issued} times)"
    assert "error_runtime" not in record.extra


def test_negative_tpot_from_one_token_answers_is_flagged(records):
    record = records["server_one_token"]
    assert record.tpot_ns["p50"] < 0
    assert any(w.startswith("tpot_ns has negative values") for w in record.warnings)
    assert not any("negative" in w for w in records["server_performance"].warnings)


def test_interactive_run_carries_the_interactive_limits(records):
    record = records["interactive_performance"]
    assert record.scenario == "Server" and record.status == "complete"
    assert (record.settings["ttft_latency_ns"], record.settings["tpot_latency_ns"]) == (500_000_000, 30_000_000)
    assert records["server_performance"].settings["ttft_latency_ns"] == 2_000_000_000


@pytest.mark.parametrize("name", sorted(n for n, s in LOADGEN_RUNS.items() if s.mode == "performance"))
def test_loadgen_6_summary_alone_gives_the_same_numbers(loadgen_runs, records, tmp_path, name):
    """LoadGen 6 reworded the summary ("Time per Output Token"); the fallback still reads it."""
    (tmp_path / "mlperf_log_summary.txt").write_bytes((loadgen_runs[name] / "mlperf_log_summary.txt").read_bytes())
    fallback = parse_result_dir(str(tmp_path))
    record = records[name]
    assert (fallback.scenario, fallback.mode) == (record.scenario, record.mode)
    assert {r["check"] for r in fallback.invalid_reasons} == {r["check"] for r in record.invalid_reasons}
    for field in ("latency_ns", "ttft_ns", "tpot_ns"):
        assert getattr(fallback, field) == getattr(record, field), field
    for field in ("samples_per_second", "tokens_per_second"):
        expected, actual = getattr(record, field), getattr(fallback, field)
        assert (expected is None) is (actual is None), field
        # SingleStream's summary has tokens/s only with LoadGen's overhead, a slightly different figure.
        tolerance = 1e-3 if (record.scenario, field) == ("SingleStream", "tokens_per_second") else 1e-5
        if expected is not None:
            assert math.isclose(expected, actual, rel_tol=tolerance, abs_tol=0.006), field


def test_query_counts_stay_beside_the_sample_counts(records):
    record = records["server_performance"]
    assert record.extra["result_query_count"] * record.extra["generated_samples_per_query"] == record.samples_issued
