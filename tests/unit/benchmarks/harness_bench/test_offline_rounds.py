"""Offline comparison: medians across rounds, ratios of medians, and per-round ratios."""
from __future__ import annotations

from benchmarks.harness_bench.contenders import HARNESS, PLAIN, REFERENCE, RunResult
from benchmarks.harness_bench.offline_rounds import OfflineComparison, offline_loadgen_settings


def run(contender: str, tokens: float | None, error: str | None = None) -> RunResult:
    return RunResult(contender, "Offline", {}, tokens, None, error, 1.0, 0.5, "/nowhere")


def comparison(*rows) -> OfflineComparison:
    return OfflineComparison(16, {}, [run(*row) for row in rows])


def test_ratios_are_of_medians_and_failed_runs_do_not_count():
    result = comparison((PLAIN, 100.0), (HARNESS, 90.0), (REFERENCE, 50.0),
                        (PLAIN, 120.0), (HARNESS, 99.0), (REFERENCE, None, "timed out"),
                        (PLAIN, 80.0), (HARNESS, 300.0), (REFERENCE, 70.0))
    assert result.median(PLAIN) == 100.0
    assert result.median(HARNESS) == 99.0
    assert result.median(REFERENCE) == 60.0
    assert result.ratio(HARNESS, PLAIN) == 0.99
    assert result.ratio(HARNESS, REFERENCE) == 1.65


def test_per_round_ratios_pair_runs_of_the_same_round():
    result = comparison((PLAIN, 100.0), (HARNESS, 90.0), (REFERENCE, None, "failed"),
                        (PLAIN, 50.0), (HARNESS, 50.0), (REFERENCE, 25.0))
    assert result.round_ratios(HARNESS, PLAIN) == [0.9, 1.0]
    assert result.round_ratios(HARNESS, REFERENCE) == [2.0]


def test_no_ratio_without_runs_on_both_sides():
    result = comparison((PLAIN, 100.0), (REFERENCE, None, "reference not available"))
    assert result.ratio(HARNESS, PLAIN) is None
    assert result.ratio(PLAIN, REFERENCE) is None


def test_offline_settings_issue_every_sample_exactly_once():
    assert offline_loadgen_settings(1024) == {"min_duration": "1000", "min_query_count": "1024",
                                              "performance_sample_count_override": "1024"}
