"""Server search bookkeeping: what passes a probe, which confirmation counts, what LoadGen is told."""
from __future__ import annotations

import dataclasses

from benchmarks.harness_bench.contenders import HARNESS, REFERENCE, RunCounter, RunResult, Setup
from benchmarks.harness_bench.loadgen_outcome import LoadGenOutcome
from benchmarks.harness_bench.server_search import (ServerSearch, distinct_samples, probe_passed, search_server,
                                                    server_loadgen_settings)


def outcome(validity="INVALID", constraints=True, errors=()) -> LoadGenOutcome:
    return LoadGenOutcome("Server", validity, 900.0, 7.0, constraints, 300.0, 20.0, 512, tuple(errors))


def result(qps: float, loadgen: LoadGenOutcome | None, error: str | None = None) -> RunResult:
    return RunResult(HARNESS, "Server", {"target_qps": f"{qps:g}"}, 900.0 if loadgen else None, loadgen, error,
                     30.0, 1.0, "/nowhere")


def test_a_probe_passes_on_latency_limits_even_before_early_stopping_can_vouch():
    assert probe_passed(result(8, outcome("INVALID", constraints=True)))
    assert not probe_passed(result(8, outcome("INVALID", constraints=False)))
    assert not probe_passed(result(8, outcome("VALID", errors=["error_runtime: n_tokens 0"])))
    assert not probe_passed(result(8, None, error="exit code 3"))


def test_only_a_valid_confirmation_is_the_best_and_the_highest_one_wins():
    search = ServerSearch(HARNESS, 4.0, None, [result(10, outcome("INVALID")), result(9, outcome("VALID")),
                                               result(8.1, outcome("VALID"))])
    assert search.best_valid.settings["target_qps"] == "9"
    assert ServerSearch(HARNESS, 4.0, None, [result(10, outcome("INVALID"))]).best_valid is None


def test_probes_are_capped_in_duration_and_confirmations_are_not():
    probe = server_loadgen_settings(12.5, 64, 275, 60000)
    assert probe == {"target_qps": "12.5", "min_duration": "20000", "min_query_count": "64",
                     "performance_sample_count_override": "275", "max_duration": "60000"}
    assert "max_duration" not in server_loadgen_settings(12.5, 512, 564)


def test_a_run_loads_a_distinct_sample_for_every_query_it_is_scheduled_to_issue():
    assert distinct_samples(12.5, 64, 4096) == 275  # 12.5 QPS x 20 s = 250 queries, 10% over
    assert distinct_samples(1.0, 512, 4096) == 564  # the query count rules at low QPS
    assert distinct_samples(500.0, 64, 4096) == 4096  # no more than the dataset holds


def test_a_cache_on_run_is_kept_apart_from_the_cache_off_runs(tmp_path):
    setup = Setup(tmp_path / "python", tmp_path, None, tmp_path, tmp_path / "d.json", tmp_path,
                  {"disable_log_stats": True, "enable_prefix_caching": False})
    cached = dataclasses.replace(setup, prefix_cache=True)
    assert setup.cache_args()["enable_prefix_caching"] is False
    assert cached.cache_args() == {"disable_log_stats": True, "enable_prefix_caching": True}
    counter = RunCounter()
    assert counter.next_dir(setup, HARNESS, "Server").name == "001-harness-server"
    assert counter.next_dir(cached, HARNESS, "Server").name == "002-harness-server-cache-on"


def test_without_the_reference_its_search_is_reported_unavailable_without_running(tmp_path):
    setup = Setup(tmp_path / "python", tmp_path, None, tmp_path, tmp_path / "d.json", tmp_path, {})
    search = search_server(setup, None, REFERENCE, 3.0, 5, print)
    assert search.unavailable == "reference not available" and search.best_valid is None


def test_probe_cap_leaves_room_for_the_queries_a_low_qps_schedule_needs():
    from benchmarks.harness_bench.server_search import PROBE_MIN_QUERIES, probe_max_duration_ms

    assert probe_max_duration_ms(50.0) == 60000
    assert probe_max_duration_ms(1.16) > 2 * 1000 * PROBE_MIN_QUERIES / 1.16


def test_confirmations_climb_down_the_ladder_until_one_is_valid(tmp_path, monkeypatch):
    """Probes pass up to 10 QPS; a long run is VALID only at 7.5 QPS or less (a server that
    holds a load briefly but not for 512 queries)."""
    from benchmarks.harness_bench import server_search

    def fake_run(_setup, _counter, _contender, target_qps, min_queries, _announce, max_duration_ms=0):
        if min_queries == server_search.PROBE_MIN_QUERIES:
            return result(target_qps, outcome("INVALID", constraints=target_qps <= 10))
        return result(target_qps, outcome("VALID" if target_qps <= 7.5 else "INVALID"))

    monkeypatch.setattr(server_search, "run_server", fake_run)
    setup = Setup(tmp_path / "python", tmp_path, tmp_path, tmp_path, tmp_path / "d.json", tmp_path, {})
    search = search_server(setup, None, REFERENCE, 5.0, 7, print, ceiling_qps=20.0)
    assert search.search.best_qps <= 10
    tried = [float(r.settings["target_qps"]) for r in search.confirmations]
    best = search.search.best_qps
    assert tried == [float(f"{best * share:.3g}") for share in (1.0, 0.95, 0.85, 0.7)][:len(tried)]
    assert float(search.best_valid.settings["target_qps"]) <= 7.5
    assert all(float(r.settings["target_qps"]) > 7.5 for r in search.confirmations[:-1])
