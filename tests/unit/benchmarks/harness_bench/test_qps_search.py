"""The Server QPS search: brackets the limit, then narrows it, within a probe budget."""
from __future__ import annotations

import pytest

from benchmarks.harness_bench.qps_search import Probe, find_max_passing_qps


def machine_with_capacity(limit: float, calls: list[float]):
    def probe(qps: float) -> Probe:
        calls.append(qps)
        return Probe(qps, qps <= limit, {})
    return probe


@pytest.mark.parametrize("start", [0.5, 7.0, 40.0])
def test_search_ends_with_a_passing_qps_within_tolerance_of_a_failing_one(start):
    calls: list[float] = []
    result = find_max_passing_qps(machine_with_capacity(7.3, calls), start, max_probes=12, tolerance=0.1)
    assert result.best_qps <= 7.3 < result.lowest_failing_qps
    assert result.lowest_failing_qps / result.best_qps <= 1.1
    assert [p.target_qps for p in result.probes] == calls


def test_search_never_spends_more_probes_than_allowed():
    calls: list[float] = []
    result = find_max_passing_qps(machine_with_capacity(7.3, calls), 100.0, max_probes=3)
    assert len(calls) == 3
    assert result.best_qps is None
    assert result.lowest_failing_qps == 25.0


def test_search_gives_up_below_the_floor_when_nothing_passes():
    calls: list[float] = []
    result = find_max_passing_qps(machine_with_capacity(0.0, calls), 1.0, max_probes=50, min_qps=0.1)
    assert result.best_qps is None
    assert min(calls) >= 0.1
    assert len(calls) < 50


def test_targets_are_rounded_to_three_significant_digits():
    calls: list[float] = []
    find_max_passing_qps(machine_with_capacity(5.0, calls), 3.14159, max_probes=2)
    assert calls == [3.14, 6.28]


@pytest.mark.parametrize("kwargs", [{"start_qps": 0}, {"start_qps": 1, "max_probes": 0},
                                    {"start_qps": 1, "tolerance": 0}])
def test_search_rejects_settings_that_cannot_converge(kwargs):
    with pytest.raises(ValueError):
        find_max_passing_qps(machine_with_capacity(1.0, []), **kwargs)


def test_a_ceiling_bounds_the_search_from_the_start_without_being_probed():
    calls: list[float] = []
    result = find_max_passing_qps(machine_with_capacity(30.0, calls), 16.6, max_probes=8, tolerance=0.05,
                                  ceiling_qps=33.2)
    assert max(calls) < 33.2
    assert result.best_qps <= 30.0
    assert 30.0 / result.best_qps <= 1.05
    assert result.lowest_failing_qps is None or result.lowest_failing_qps > 30.0
    assert len(calls) <= 5  # 16.6 -> 23.5 -> 27.9 -> 30.4 (fails) -> 29.1: within 5%


def test_a_start_above_the_ceiling_starts_at_the_ceiling():
    calls: list[float] = []
    find_max_passing_qps(machine_with_capacity(100.0, calls), 50.0, max_probes=1, ceiling_qps=20.0)
    assert calls == [20.0]
