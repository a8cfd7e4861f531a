"""The numbers the benchmark compares, read from real LoadGen detail logs (the corpus, else runs
this session made): they must equal what LoadGen printed in the summary beside the detail log."""
from __future__ import annotations

import pathlib
import re

import pytest

from benchmarks.harness_bench.loadgen_outcome import OutcomeMissing, read_outcome
from tests.pytest_plugins.report import L01_OFFLINE, L02_SERVER


def _summary(folder: pathlib.Path, label: str) -> float:
    """A number from mlperf_log_summary.txt (six significant digits, or two decimals)."""
    found = re.search(rf"^{re.escape(label)}\s*:\s*(\S+)$", (folder / "mlperf_log_summary.txt").read_text(), re.M)
    assert found, f"{label!r} not in the summary of {folder.name}"
    return float(found.group(1))


def test_offline_outcome_is_tokens_per_second_and_validity(report_inputs):
    folder = report_inputs.loadgen / L01_OFFLINE
    outcome = read_outcome(folder)
    assert outcome.scenario == "Offline" and outcome.valid
    assert outcome.tokens_per_second == pytest.approx(_summary(folder, "Tokens per second"), rel=1e-5, abs=0.005)
    assert outcome.samples_per_second == pytest.approx(_summary(folder, "Samples per second"), rel=1e-5, abs=0.005)
    assert outcome.latency_constraints_met is None


def test_server_outcome_carries_completed_tokens_and_p99_token_latencies(report_inputs):
    folder = report_inputs.loadgen / L02_SERVER
    outcome = read_outcome(folder)
    assert outcome.scenario == "Server" and outcome.valid
    assert outcome.tokens_per_second == pytest.approx(_summary(folder, "Completed tokens per second"), rel=1e-5, abs=0.005)
    assert outcome.samples_per_second == pytest.approx(_summary(folder, "Completed samples per second"), rel=1e-5, abs=0.005)
    assert outcome.latency_constraints_met is True
    assert outcome.ttft_p99_ms == pytest.approx(
        _summary(folder, "99.00 percentile first token latency (ns)") / 1e6, abs=0.01)
    assert outcome.tpot_p99_ms == pytest.approx(
        _summary(folder, "99.00 percentile time to output token (ns)") / 1e6, abs=0.01)


def test_a_run_without_a_detail_log_is_reported_not_guessed(tmp_path):
    with pytest.raises(OutcomeMissing, match="no LoadGen detail log"):
        read_outcome(tmp_path)


def test_a_detail_log_cut_before_the_result_is_reported(tmp_path):
    (tmp_path / "mlperf_log_detail.txt").write_text(
        ':::MLLOG {"key": "effective_scenario", "value": "Offline", "time_ms": 1, "namespace": "mlperf::logging", '
        '"event_type": "POINT_IN_TIME", "metadata": {}}\n')
    with pytest.raises(OutcomeMissing, match="no result"):
        read_outcome(tmp_path)
