"""Where the Server capacity search probes next, and which runs confirm it (search_plan)."""
import pytest

from fleetbench_harness.search_plan import bracket, confirm_targets, next_qps


def search(capacity: float, start: float, probes: int, tolerance: float = 0.05) -> list[tuple[float, bool]]:
    """The probes a search makes against a host that holds exactly `capacity` QPS."""
    history = []
    qps = start
    while qps is not None and len(history) < probes:
        history.append((qps, qps <= capacity))
        qps = next_qps(history, tolerance)
    return history


def test_holding_doubles_and_failing_halves_until_a_bracket_exists():
    assert next_qps([(4.0, True)]) == 8.0
    assert next_qps([(4.0, False)]) == 2.0
    assert next_qps([(4.0, True), (8.0, False)]) == 6.0


def test_bisection_converges_on_the_capacity_from_above_and_below():
    for start in (1.0, 50.0):
        history = search(capacity=13.3, start=start, probes=20)
        low, high = bracket(history)
        assert low <= 13.3 < high and high / low - 1 <= 0.05
        assert next_qps(history) is None


def test_a_failure_below_a_hold_does_not_narrow_the_bracket():
    assert bracket([(4.0, False), (8.0, True), (16.0, False)]) == (8.0, 16.0)
    assert bracket([(4.0, True)]) == (4.0, None)
    assert bracket([(4.0, False)]) == (None, 4.0)


def test_a_host_that_holds_nothing_stops_halving_at_the_floor():
    history = search(capacity=0.0, start=1.0, probes=50)
    assert not any(ok for _qps, ok in history)
    assert history[-1][0] >= 0.01 and next_qps(history) is None


def test_confirm_runs_start_at_the_highest_hold_and_step_down():
    assert confirm_targets([(4.0, True), (8.0, False), (6.0, True)], tries=3) == [6.0, 5.4, 4.86]
    assert confirm_targets([(4.0, False), (2.0, False)], tries=2) == [2.0]


def test_no_probe_is_no_start():
    with pytest.raises(ValueError):
        next_qps([])
