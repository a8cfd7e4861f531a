"""Summary labels of every LoadGen wording map to the detail log's keys."""
from __future__ import annotations

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen_summary import (
    convert_value,
    label_to_key,
    parse_summary,
)


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Samples per second", "result_samples_per_second"),
        ("Completed samples per second   ", "result_completed_samples_per_sec"),
        ("Tokens per second (inferred)", "result_inferred_tokens_per_second"),
        ("90th percentile latency (ns)", "result_90.00_percentile_latency_ns"),
        ("90.0th percentile latency (ns)", "result_90.00_percentile_latency_ns"),
        ("99.90 percentile latency (ns)", "result_99.90_percentile_latency_ns"),
        ("90.0th first token percentile latency (ns)", "result_first_token_90.00_percentile_latency_ns"),
        ("99.00 percentile first token latency (ns)", "result_first_token_99.00_percentile_latency_ns"),
        # LoadGen 5.x wording, then 6.x wording, of the same number.
        ("Mean Time to Output Token (ns)", "result_time_to_output_token_mean"),
        ("Mean Time per Output Token (ns)", "result_time_to_output_token_mean"),
        ("50.00 percentile time to output token (ns)", "result_time_per_output_token_50.00_percentile_ns"),
        ("Result is", "result_validity"),
        ("Early stopping satisfied", "early_stopping_met"),
        ("Some label LoadGen never printed", None),
    ],
)
def test_label_to_key(label, key):
    assert label_to_key(label) == key


@pytest.mark.parametrize(
    ("raw", "value"),
    [("Yes", True), ("NO", False), ("13368", 13368), ("8.70578e+06", 8705780.0), ("0.285714", 0.285714),
     ("PerformanceOnly", "PerformanceOnly")],
)
def test_convert_value(raw, value):
    assert convert_value(raw) == value


SUMMARY = """================================================
MLPerf Results Summary
================================================
SUT name : PySUT
Scenario : Server
Mode     : PerformanceOnly
Completed samples per second    : 361.63
Result is : INVALID
  Performance constraints satisfied : NO
  Early stopping satisfied: NO
Recommendations:
 * TTFT constrain not met: Reduce target QPS to improve latency.
TTFT Early Stopping Result:
 * Run unsuccessful.
 * Would need to run at least 350367 more queries,
 with the run being successful if every additional
 query were under latency.

================================================
Test Parameters Used
================================================
target_qps : 364
ttft_latency (ns): 2000000000
WARNING: sample_concatenate_permutation was set to true.

3 warnings encountered. See detailed log.

1 ERROR encountered. See detailed log.
"""


def test_parse_summary_reads_results_blocks_parameters_and_counts():
    summary = parse_summary(SUMMARY)
    assert summary.results["result_validity"] == "INVALID"
    assert summary.results["result_perf_constraints_met"] is False
    assert summary.lines["result_completed_samples_per_sec"] == 7
    assert summary.blocks["result_invalid_reason"] == ["TTFT constrain not met: Reduce target QPS to improve latency."]
    assert summary.blocks["early_stopping_ttft_result"] == [
        "Run unsuccessful.",
        "Would need to run at least 350367 more queries, with the run being successful if every additional"
        " query were under latency.",
    ]
    assert summary.settings == {"target_qps": 364, "ttft_latency_ns": 2000000000}
    assert (summary.warning_count, summary.error_count, summary.finished) == (3, 1, True)


def test_summary_without_its_closing_counts_is_not_finished():
    assert not parse_summary(SUMMARY.split("3 warnings")[0]).finished
