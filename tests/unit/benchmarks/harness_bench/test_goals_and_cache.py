"""The goal rows and the prefix cache table of the bench-harness section."""
from __future__ import annotations

from benchmarks.harness_bench.benchmarks_md import cache_table, goal_rows
from benchmarks.harness_bench.cache_effect import CacheEffect
from benchmarks.harness_bench.contenders import HARNESS, PLAIN, REFERENCE, RunResult
from benchmarks.harness_bench.loadgen_outcome import LoadGenOutcome
from benchmarks.harness_bench.offline_rounds import OfflineComparison
from benchmarks.harness_bench.server_search import ServerSearch


def server_run(contender: str, qps: float, tokens: float, samples: int, ttft_ms: float = 300.0) -> RunResult:
    outcome = LoadGenOutcome("Server", "VALID", tokens, qps, True, ttft_ms, 20.0, 600, ())
    settings = {"target_qps": f"{qps:g}", "min_query_count": "512", "performance_sample_count_override": str(samples),
                "prefix_cache": False}
    return RunResult(contender, "Server", settings, tokens, outcome, None, 30.0, 1.0, "/nowhere")


def offline(harness_tokens: float) -> OfflineComparison:
    runs = [RunResult(PLAIN, "Offline", {}, 1000.0, None, None, 1.0, 0.5, "/nowhere"),
            RunResult(HARNESS, "Offline", {}, harness_tokens, None, None, 1.0, 0.5, "/nowhere"),
            RunResult(REFERENCE, "Offline", {}, 500.0, None, None, 1.0, 0.5, "/nowhere")]
    return OfflineComparison(1024, {}, runs)


def share_row(harness_offline: float, harness_server: float) -> tuple[str, str, str]:
    server = {HARNESS: ServerSearch(HARNESS, 4.0, None, [server_run(HARNESS, 30, harness_server, 660)]),
              REFERENCE: ServerSearch(REFERENCE, 1.0, None, [server_run(REFERENCE, 2, 100.0, 564)])}
    return goal_rows(offline(harness_offline), server)[-1]


def test_the_server_share_goal_is_the_harness_server_over_its_own_offline():
    goal, measured, met = share_row(1000.0, 900.0)
    assert "Server share of Offline" in goal and ">= 0.85" in goal
    assert (measured, met) == ("0.900", "met")
    assert share_row(1000.0, 800.0)[1:] == ("0.800", "NOT met")


def test_without_a_valid_server_run_the_share_is_not_measured():
    rows = goal_rows(offline(1000.0), {})
    assert rows[-1][1:] == ("n/a", "not measured")


def test_the_cache_table_shows_the_change_and_server_latencies_off_and_on():
    off = server_run(HARNESS, 30, 4000.0, 660, ttft_ms=800.0)
    on = server_run(HARNESS, 30, 4400.0, 660, ttft_ms=400.0)
    offline_on = RunResult(PLAIN, "Offline", {}, 950.0, None, None, 1.0, 0.5, "/nowhere")
    rows = cache_table([CacheEffect(PLAIN, "Offline", None, 1000.0, offline_on),
                        CacheEffect(HARNESS, "Server", off, 4000.0, on)])
    assert rows[2] == "| LLM.generate | Offline | 1,000 | 950 | -5.0% | n/a |"
    assert rows[3] == "| fleetbench harness | Server at 30 QPS | 4,000 | 4,400 VALID | +10.0% | 800.00 / 400.00 |"


def test_a_failed_cache_run_says_so_and_claims_no_change():
    failed = RunResult(REFERENCE, "Offline", {}, None, None, "timed out after 1800 s", 1.0, 0.5, "/nowhere")
    effect = CacheEffect(REFERENCE, "Offline", None, 500.0, failed)
    assert effect.change is None
    assert "failed (timed out after 1800 s)" in cache_table([effect])[2]


def test_a_server_run_that_loaded_fewer_samples_than_its_queries_is_marked():
    from benchmarks.harness_bench.benchmarks_md import server_table
    from benchmarks.harness_bench.qps_search import Probe, SearchResult

    distinct = server_run(HARNESS, 30, 4000.0, 660)  # 30 QPS x 20 s = 600 queries, 660 samples
    repeating = server_run(HARNESS, 300, 9000.0, 4096)  # 6,000 queries over 4,096 samples
    search = SearchResult(30.0, 300.0, [Probe(30.0, True, distinct), Probe(300.0, False, repeating)])
    row = server_table({HARNESS: ServerSearch(HARNESS, 30.0, search, [distinct])})[2]
    assert "30 (pass, 4,000)" in row
    assert "300 (fail, 9,000; prompts repeat)" in row
