"""How many distinct prompts a run loads against the queries LoadGen will issue."""
from __future__ import annotations

from fleetbench_harness.sample_plan import distinct_samples_for, expected_queries, reuse_warning, sample_plan

QUICK_SERVER = {"min_query_count": 480, "min_duration_ms": 2000, "server_target_qps": 40.0}


def test_a_server_run_issues_the_larger_of_its_query_floor_and_rate_times_duration():
    assert expected_queries("Server", QUICK_SERVER) == 480
    assert expected_queries("Server", {**QUICK_SERVER, "server_target_qps": 400.0}) == 800


def test_a_single_stream_run_issues_its_duration_over_the_expected_latency():
    settings = {"min_query_count": 64, "min_duration_ms": 1000, "single_stream_expected_latency_ns": 2_000_000}
    assert expected_queries("SingleStream", settings) == 500


def test_offline_issues_one_query_so_it_has_no_query_count():
    assert expected_queries("Offline", {"min_query_count": 1, "min_duration_ms": 0}) is None


def test_enough_distinct_samples_are_loaded_that_no_prompt_comes_twice():
    loaded = distinct_samples_for(480, dataset_samples=13368)
    assert loaded >= 480
    assert sample_plan(loaded, 480)["issues_per_sample"] == 1
    assert reuse_warning(sample_plan(loaded, 480)) is None


def test_a_dataset_too_small_for_distinct_prompts_is_labelled_with_how_often_each_comes_back():
    plan = sample_plan(distinct_samples_for(480, dataset_samples=64), 480)
    assert plan == {"performance_samples": 64, "expected_queries": 480, "issues_per_sample": 8}
    assert "64 samples for about 480 queries, each prompt issued about 8 times" in reuse_warning(plan)
