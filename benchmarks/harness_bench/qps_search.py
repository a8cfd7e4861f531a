"""The highest Server target QPS that still meets the latency limits, found with few probes.

Each probe is a whole LoadGen run (engine load included), so the search first brackets the
limit by doubling or halving, then bisects geometrically until the bracket is narrow."""
from __future__ import annotations

import dataclasses
import math
from typing import Callable


@dataclasses.dataclass(frozen=True)
class Probe:
    target_qps: float
    passed: bool
    detail: object  # whatever the probe wants reported (here: the RunResult)


@dataclasses.dataclass
class SearchResult:
    best_qps: float | None  # highest passing target QPS, None if nothing passed
    lowest_failing_qps: float | None
    probes: list[Probe]


def find_max_passing_qps(probe: Callable[[float], Probe], start_qps: float, max_probes: int = 7,
                         tolerance: float = 0.10, min_qps: float = 0.05,
                         ceiling_qps: float | None = None) -> SearchResult:
    """Search downward/upward from `start_qps` until the passing and failing target QPS are within
    `tolerance` (relative) of each other, or `max_probes` runs were spent. `ceiling_qps`, a load
    known to be too high without probing it (a Server cannot hold more queries per second than
    the same system completes Offline), bounds the search from the start."""
    if start_qps <= 0 or max_probes < 1 or tolerance <= 0 or (ceiling_qps is not None and ceiling_qps <= 0):
        raise ValueError("need start_qps > 0, max_probes >= 1, tolerance > 0 and a ceiling above 0")
    probes: list[Probe] = []
    low: float | None = None  # highest passing so far
    high: float | None = ceiling_qps  # lowest known to fail (probed, or the ceiling)
    qps = min(start_qps, ceiling_qps) if ceiling_qps else start_qps
    while len(probes) < max_probes:
        result = probe(_rounded(qps))
        probes.append(result)
        if result.passed:
            low = result.target_qps if low is None else max(low, result.target_qps)
        else:
            high = result.target_qps if high is None else min(high, result.target_qps)
        if low is not None and high is not None and high / low <= 1 + tolerance:
            break
        next_qps = _next_target(low, high)
        if next_qps < min_qps:
            break
        qps = next_qps
    lowest_failing = min((p.target_qps for p in probes if not p.passed), default=None)
    return SearchResult(best_qps=low, lowest_failing_qps=lowest_failing, probes=probes)


def _next_target(low: float | None, high: float | None) -> float:
    if high is None:
        return low * 2
    if low is None:
        return high / 2
    return math.sqrt(low * high)


def _rounded(qps: float) -> float:
    """Three significant digits: readable in the report, and LoadGen reads a plain decimal."""
    return float(f"{qps:.3g}")
