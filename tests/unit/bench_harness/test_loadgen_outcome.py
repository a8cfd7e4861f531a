"""The numbers the benchmark compares, read from real LoadGen detail logs."""
from __future__ import annotations

import pytest

from benchmarks.harness_bench.loadgen_outcome import OutcomeMissing, read_outcome


def test_offline_outcome_is_tokens_per_second_and_validity(corpus_dir):
    outcome = read_outcome(corpus_dir / "loadgen" / "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Offline")
    assert outcome.scenario == "Offline" and outcome.valid
    assert outcome.tokens_per_second == pytest.approx(136752)
    assert outcome.samples_per_second == pytest.approx(1060.23)
    assert outcome.latency_constraints_met is None


def test_server_outcome_carries_completed_tokens_and_p99_token_latencies(corpus_dir):
    outcome = read_outcome(corpus_dir / "loadgen" / "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Server")
    assert outcome.scenario == "Server" and outcome.valid
    assert outcome.tokens_per_second == pytest.approx(128541)
    assert outcome.samples_per_second == pytest.approx(996.526)
    assert outcome.latency_constraints_met is True
    assert outcome.ttft_p99_ms == pytest.approx(1749.40, abs=0.01)
    assert outcome.tpot_p99_ms == pytest.approx(42.11, abs=0.01)


def test_a_run_without_a_detail_log_is_reported_not_guessed(tmp_path):
    with pytest.raises(OutcomeMissing, match="no LoadGen detail log"):
        read_outcome(tmp_path)


def test_a_detail_log_cut_before_the_result_is_reported(tmp_path):
    (tmp_path / "mlperf_log_detail.txt").write_text(
        ':::MLLOG {"key": "effective_scenario", "value": "Offline", "time_ms": 1, "namespace": "mlperf::logging", '
        '"event_type": "POINT_IN_TIME", "metadata": {}}\n')
    with pytest.raises(OutcomeMissing, match="no result"):
        read_outcome(tmp_path)
