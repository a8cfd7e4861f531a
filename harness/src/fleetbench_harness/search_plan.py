"""Where a Server capacity search probes next: bracket by doubling or halving, then bisect.

Pure arithmetic over the probes so far, so the rule is testable without an engine. A probe
`held` when LoadGen's p99 TTFT and TPOT stayed within the scenario's limits (probe_result)."""
from __future__ import annotations

DEFAULT_TOLERANCE = 0.05  # stop bisecting once the bracket is this narrow (relative)
MIN_QPS = 0.01


def next_qps(probes: list[tuple[float, bool]], tolerance: float = DEFAULT_TOLERANCE) -> float | None:
    """The next target QPS to probe, given (qps, held) pairs in any order; None when done.

    No probe yet is the caller's start. Nothing held: halve the lowest failure. Nothing failed
    above the highest hold: double it. Else bisect the bracket until it is `tolerance` wide.
    A failure below a hold (noise between short probes) does not narrow the bracket."""
    if not probes:
        raise ValueError("a search starts from a given QPS")
    low, high = bracket(probes)
    if low is None:
        half = round(high / 2, 3)
        return half if half >= MIN_QPS else None
    if high is None:
        return round(low * 2, 3)
    if high / low - 1 <= tolerance:
        return None
    return round((low + high) / 2, 3)


def bracket(probes: list[tuple[float, bool]]) -> tuple[float | None, float | None]:
    """(highest held QPS or None, lowest failed QPS above it or None)."""
    held = [qps for qps, ok in probes if ok]
    low = max(held) if held else None
    failed = [qps for qps, ok in probes if not ok and (low is None or qps > low)]
    return low, (min(failed) if failed else None)


def confirm_targets(probes: list[tuple[float, bool]], tries: int, step_down: float = 0.9) -> list[float]:
    """Target QPS of the full-length confirm runs, best first: the highest hold, then
    `step_down` of the one before. Nothing held: the lowest probe, whose run records why."""
    low, _high = bracket(probes)
    if low is None:
        return [min(qps for qps, _ok in probes)]
    targets = [low]
    while len(targets) < tries:
        targets.append(round(targets[-1] * step_down, 3))
    return targets
