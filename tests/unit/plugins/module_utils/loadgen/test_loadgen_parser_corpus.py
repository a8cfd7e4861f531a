"""The parser reads every real LoadGen output in ../shared/corpus/loadgen as EXPECTED.md says.

Each test runs once per corpus folder (see tests/pytest_plugins/loadgen_corpus.py).
"""
from __future__ import annotations

import math

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir
from tests.pytest_plugins.loadgen_corpus import expected_accuracy

_MODES = {"PerformanceOnly": "performance", "AccuracyOnly": "accuracy"}

# EXPECTED.md's detail keys, and where the record carries each.
_DETAIL_KEY_FIELDS = {
    "effective_scenario": lambda r: r.scenario,
    "effective_test_mode": lambda r: {v: k for k, v in _MODES.items()}[r.mode],
    "result_validity": lambda r: "VALID" if r.valid else "INVALID",
    "early_stopping_met": lambda r: "early_stopping" not in _failed_checks(r),
    "result_samples_per_second": lambda r: r.samples_per_second,
    "result_completed_samples_per_sec": lambda r: r.samples_per_second,
    "result_scheduled_samples_per_sec": lambda r: r.extra["result_scheduled_samples_per_sec"],
    "result_90.00_percentile_latency_ns": lambda r: r.latency_ns["p90"],
    "result_99.00_percentile_latency_ns": lambda r: r.latency_ns["p99"],
    "result_tokens_per_second": lambda r: r.tokens_per_second,
    "result_completed_tokens_per_second": lambda r: r.tokens_per_second,
    "result_inferred_tokens_per_second": lambda r: r.tokens_per_second,
}

# Summary headline labels, and where the record carries each.
_HEADLINE_FIELDS = {
    "samples per second": lambda r: r.samples_per_second,
    "completed samples per second": lambda r: r.samples_per_second,
    "tokens per second": lambda r: r.tokens_per_second,
    "tokens per second (inferred)": lambda r: r.tokens_per_second,
    "completed tokens per second": lambda r: r.tokens_per_second,
    "90.0th percentile latency (ns)": lambda r: r.latency_ns["p90"],
    "99.0th percentile latency (ns)": lambda r: r.latency_ns["p99"],
    "90.0th first token percentile latency (ns)": lambda r: r.ttft_ns["p90"],
}

_CHECK_NAMES = {
    "Min duration satisfied": "min_duration",
    "Min queries satisfied": "min_queries",
    "Early stopping satisfied": "early_stopping",
    "Performance constraints satisfied": "performance_constraints",
}


def _failed_checks(record) -> set[str]:
    return {reason["check"] for reason in record.invalid_reasons}


def _same_printed_number(expected: float, actual: float) -> bool:
    """The summary prints 2 decimals or 6 significant digits; the detail log has its own rounding."""
    return math.isclose(expected, actual, rel_tol=1e-5, abs_tol=0.006)


@pytest.fixture
def parsed(loadgen_corpus_case):
    return parse_result_dir(str(loadgen_corpus_case.path))


def test_corpus_run_is_complete_and_unproblematic(loadgen_corpus_case, parsed):
    assert parsed.problems == []
    assert parsed.status == "complete"
    assert parsed.is_final


def test_corpus_detail_keys_land_in_the_record(loadgen_corpus_case, parsed):
    for key, expected in loadgen_corpus_case.detail_keys.items():
        assert key in _DETAIL_KEY_FIELDS, f"EXPECTED.md lists {key}: map it to a record field in this test"
        actual = _DETAIL_KEY_FIELDS[key](parsed)
        if isinstance(expected, (int, float)) and not isinstance(expected, bool):
            assert _same_printed_number(expected, actual), f"{key}: expected {expected}, record has {actual}"
        else:
            assert actual == expected, key


def test_corpus_loadgen_version_is_split_into_version_and_commit(loadgen_corpus_case, parsed):
    version, _, commit = loadgen_corpus_case.loadgen_version.partition(" @ ")
    assert parsed.loadgen["version"] == version
    assert parsed.loadgen["git_commit"] == commit


def test_corpus_summary_identity_matches(loadgen_corpus_case, parsed):
    summary = loadgen_corpus_case.summary
    if not loadgen_corpus_case.summary_has_results:
        assert parsed.mode == "accuracy" and parsed.valid is None and parsed.headline is None
        return
    assert parsed.scenario == summary["Scenario"]
    assert parsed.mode == _MODES[summary["Mode"]]
    assert parsed.valid is (summary["Result"] == "VALID")
    assert parsed.sut_name == summary["SUT name"]


def test_corpus_headline_lines_match(loadgen_corpus_case, parsed):
    for line in loadgen_corpus_case.headlines:
        label, _, value = line.rpartition(":")
        field = _HEADLINE_FIELDS[" ".join(label.split()).lower() if "th " not in label else label.strip()]
        assert _same_printed_number(float(value), field(parsed)), line


def test_corpus_headline_is_the_scenarios_metric(loadgen_corpus_case, parsed):
    if parsed.mode == "accuracy":
        assert parsed.headline is None
        return
    headline = parsed.headline
    expected_unit = {"SingleStream": "ns", "MultiStream": "ns"}.get(parsed.scenario)
    if expected_unit is None:
        expected_unit = "samples/s" if parsed.tokens_per_second is None or parsed.tokens_per_second_inferred else "tokens/s"
    assert headline["unit"] == expected_unit
    assert headline["value"] is not None


def test_corpus_checks_become_invalid_reasons(loadgen_corpus_case, parsed):
    failed = _failed_checks(parsed)
    for label, satisfied in loadgen_corpus_case.checks.items():
        assert (_CHECK_NAMES[label] not in failed) is satisfied, label
    assert bool(failed - {"loadgen_recommendation"}) is (parsed.valid is False)


@pytest.mark.parametrize(("stats", "field"), [("latency", "latency_ns"), ("ttft", "ttft_ns"), ("tpot", "tpot_ns")])
def test_corpus_latency_statistics_match(loadgen_corpus_case, parsed, stats, field):
    expected = getattr(loadgen_corpus_case, stats)
    table = getattr(parsed, field) or {}
    for stat, value in expected.items():
        assert table[stat] == value, f"{field}.{stat}"


def test_corpus_test_parameters_land_in_settings(loadgen_corpus_case, parsed):
    for label, value in loadgen_corpus_case.parameters.items():
        name, _, unit = label.partition(" (")
        key = f"{name}_{unit.rstrip(')')}" if unit else name
        assert _same_printed_number(float(value), float(parsed.settings[key])), label


def test_corpus_accuracy_scores_are_read(loadgen_corpus_case, parsed):
    if loadgen_corpus_case.accuracy_txt is None:
        pytest.skip("no accuracy.txt for this folder")
    expected = expected_accuracy(loadgen_corpus_case.accuracy_txt)
    assert {k: parsed.accuracy[k] for k in expected} == pytest.approx(expected)


def test_published_runs_pass_the_settings_rung_and_claim_no_further_than_their_logs_show(loadgen_corpus_case, parsed):
    # Published results ran with the official 10-minute minimum (or longer); their logs say nothing
    # about the engine, dataset or model, so compliance stays unknown rather than claimed.
    settings = parsed.compliance["rungs"][0]
    assert (settings["rung"], settings["passed"]) == ("settings", None if parsed.mode == "accuracy" else True)
    assert parsed.compliant is None
    assert parsed.compliance["first_missed"]["passed"] is None


def _summary_only(tmp_path, folder):
    copy = tmp_path / "summary_only"
    copy.mkdir()
    (copy / "mlperf_log_summary.txt").write_bytes((folder / "mlperf_log_summary.txt").read_bytes())
    return parse_result_dir(str(copy))


def test_corpus_summary_alone_gives_the_same_numbers(loadgen_corpus_case, parsed, tmp_path):
    """The fallback path reads every LoadGen version's summary wording into the same fields."""
    fallback = _summary_only(tmp_path, loadgen_corpus_case.path)
    assert [p["file"] for p in fallback.problems] == ["mlperf_log_detail.txt"]
    if parsed.mode == "accuracy":
        assert fallback.scenario is None  # an accuracy summary names nothing
        return
    assert (fallback.scenario, fallback.mode, fallback.sut_name) == (parsed.scenario, parsed.mode, parsed.sut_name)
    assert _failed_checks(fallback) == _failed_checks(parsed)
    for field in ("samples_per_second", "tokens_per_second"):
        expected, actual = getattr(parsed, field), getattr(fallback, field)
        assert (expected is None) is (actual is None) or parsed.scenario in ("SingleStream", "MultiStream"), field
        if expected is not None and actual is not None:
            assert _same_printed_number(expected, actual), field
    for field in ("latency_ns", "ttft_ns", "tpot_ns"):
        assert getattr(fallback, field) == getattr(parsed, field), field
    for key in ("target_qps", "min_duration_ms", "min_query_count", "samples_per_query"):
        assert _same_printed_number(parsed.settings[key], fallback.settings[key]), key
