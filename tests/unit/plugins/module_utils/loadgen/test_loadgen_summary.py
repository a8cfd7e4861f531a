"""Summary labels of every LoadGen wording map to the detail log's keys."""
from __future__ import annotations

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.summary import (
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


# Every "label : value" LoadGen's summary writer prints (PerformanceSummary::LogSummary, LoadGen
# 4.1 to 6.0: percentiles with 0 then 1 decimal, "Time to" then "Time per" output token, the
# inferred token rates of infer_token_latencies) and the detail-log key it stands for.
LOADGEN_SUMMARY_LABELS = [
    ("SUT name", "sut_name"),
    ("Scenario", "effective_scenario"),
    ("Mode", "effective_test_mode"),
    ("90th percentile latency (ns)", "result_90.00_percentile_latency_ns"),
    ("99.0th percentile latency (ns)", "result_99.00_percentile_latency_ns"),
    ("Completed samples per second", "result_completed_samples_per_sec"),
    ("Samples per second", "result_samples_per_second"),
    ("90th first token percentile latency (ns)", "result_first_token_90.00_percentile_latency_ns"),
    ("Tokens per second", "result_tokens_per_second"),
    ("Completed tokens per second", "result_completed_tokens_per_second"),
    ("Tokens per second (inferred)", "result_inferred_tokens_per_second"),
    ("Completed tokens per second (inferred)", "result_inferred_completed_tokens_per_second"),
    ("Result is", "result_validity"),
    ("Performance constraints satisfied", "result_perf_constraints_met"),
    ("Min duration satisfied", "result_min_duration_met"),
    ("Min queries satisfied", "result_min_queries_met"),
    ("Early stopping satisfied", "early_stopping_met"),
    ("QPS w/ loadgen overhead", "result_qps_with_loadgen_overhead"),
    ("QPS w/o loadgen overhead", "result_qps_without_loadgen_overhead"),
    ("Scheduled samples per second", "result_scheduled_samples_per_sec"),
    ("Min latency (ns)", "result_min_latency_ns"),
    ("Max latency (ns)", "result_max_latency_ns"),
    ("Mean latency (ns)", "result_mean_latency_ns"),
    ("97.00 percentile latency (ns)", "result_97.00_percentile_latency_ns"),
    ("TPS w/ loadgen overhead", "result_token_throughput_with_loadgen_overhead"),
    ("TPS w/o loadgen overhead", "result_token_throughput_without_loadgen_overhead"),
    ("Min First Token latency (ns)", "result_first_token_min_latency_ns"),
    ("Max First Token latency (ns)", "result_first_token_max_latency_ns"),
    ("Mean First Token latency (ns)", "result_first_token_mean_latency_ns"),
    ("95.00 percentile first token latency (ns)", "result_first_token_95.00_percentile_latency_ns"),
    ("Min Time to Output Token (ns)", "result_time_to_output_token_min"),
    ("Max Time per Output Token (ns)", "result_time_to_output_token_max"),
    ("99.90 percentile time to output token (ns)", "result_time_per_output_token_99.90_percentile_ns"),
]


@pytest.mark.parametrize(("label", "key"), LOADGEN_SUMMARY_LABELS)
def test_every_label_loadgen_prints_has_its_key(label, key):
    assert label_to_key(label) == key


def summary_of(scenario: str, lines: str) -> str:
    return (f"SUT name : sut\nScenario : {scenario}\nMode     : PerformanceOnly\n{lines}\n\n"
            "No warnings encountered during test.\n\nNo errors encountered during test.\n")


def test_a_server_run_with_inferred_tokens_reads_them_as_inferred_tokens():
    from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.fields import KeyReader, throughput

    summary = parse_summary(summary_of("Server", "Completed samples per second    : 12.5\n"
                                                 "Completed tokens per second (inferred): 3200.5\nResult is : VALID"))
    assert summary.results["result_inferred_completed_tokens_per_second"] == 3200.5
    numbers = throughput(KeyReader(summary.results), "Server")
    assert numbers["tokens_per_second"] == 3200.5 and numbers["tokens_per_second_inferred"] is True


def test_measured_tokens_win_over_inferred_ones():
    from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.fields import KeyReader, throughput

    summary = parse_summary(summary_of("Server", "Completed tokens per second: 3000\n"
                                                 "Completed tokens per second (inferred): 3200.5\nResult is : VALID"))
    numbers = throughput(KeyReader(summary.results), "Server")
    assert numbers["tokens_per_second"] == 3000 and numbers["tokens_per_second_inferred"] is False


def test_multistream_latencies_under_per_query_are_per_query():
    summary = parse_summary(summary_of("MultiStream", "99th percentile latency (ns) : 5000\nResult is : VALID\n\n"
                                                      "Additional Stats\nPer-query latency:  \n"
                                                      "Min latency (ns)                : 1000\n"
                                                      "Mean latency (ns)               : 2000\n"
                                                      "99.00 percentile latency (ns)   : 5000\n"))
    assert summary.results["result_min_query_latency_ns"] == 1000
    assert summary.results["result_mean_query_latency_ns"] == 2000
    assert summary.results["result_99.00_percentile_per_query_latency_ns"] == 5000
    assert not {"result_min_latency_ns", "result_mean_latency_ns", "result_99.00_percentile_latency_ns"} & set(summary.results)
