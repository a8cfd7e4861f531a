"""Server: each contender's highest target QPS that meets the latency limits (p99 TTFT 2 s, p99
TPOT 100 ms), found with short probes, then confirmed by a run long enough to be VALID."""
from __future__ import annotations

import dataclasses
import math
from typing import Callable

from benchmarks.harness_bench.contenders import (HARNESS, RunCounter, RunResult, Setup, run_harness,
                                                 run_reference)
from benchmarks.harness_bench.qps_search import Probe, SearchResult, find_max_passing_qps

PROBE_MIN_DURATION_MS = 20000
PROBE_MIN_QUERIES = 64
# Poisson arrivals run a little past target QPS x min_duration; loading this much more than the
# schedule's expected queries keeps every prompt to one issue (equal-issue mode then pads the run
# up to the loaded count, which is why the margin is small).
DISTINCT_MARGIN = 1.1
# An overloaded probe would otherwise issue min_duration x target QPS queries and then drain
# them at the contender's own pace; it fails either way, so cut it short: at three times the
# length LoadGen's schedule needs (longer than min_duration at low QPS, where min_query_count rules).
PROBE_DURATION_CAP = 3
# LoadGen's early stopping needs about 460 queries, all within the limits, to vouch for a p99.
CONFIRM_MIN_QUERIES = 512
# The confirmation runs' targets, as shares of the best probe: fine steps first (a contender
# that holds its probe's load over a long run is read to within 5%), then coarse ones (one that
# only held it for a short probe, as a one-query-at-a-time server does near its limit, still gets
# a VALID number).
CONFIRM_LADDER = (1.0, 0.95, 0.85, 0.7)
# Bisect until the highest passing and lowest failing probes are this close (relative): the
# capacity is read to within 5%, as the 0.85 share-of-Offline goal needs.
SEARCH_TOLERANCE = 0.05


@dataclasses.dataclass
class ServerSearch:
    contender: str
    start_qps: float | None
    search: SearchResult | None
    confirmations: list[RunResult]
    unavailable: str | None = None

    @property
    def best_valid(self) -> RunResult | None:
        valid = [r for r in self.confirmations if r.ok and r.outcome.valid]
        return max(valid, key=lambda r: float(r.settings["target_qps"])) if valid else None


def distinct_samples(target_qps: float, min_queries: int, dataset_samples: int) -> int:
    """Samples to load so no prompt is issued twice in the run, as far as the dataset allows."""
    expected = max(min_queries, target_qps * PROBE_MIN_DURATION_MS / 1000)
    return min(dataset_samples, math.ceil(expected * DISTINCT_MARGIN))


def server_loadgen_settings(target_qps: float, min_queries: int, samples: int,
                            max_duration_ms: int = 0) -> dict[str, str]:
    settings = {"target_qps": f"{target_qps:g}", "min_duration": str(PROBE_MIN_DURATION_MS),
                "min_query_count": str(min_queries), "performance_sample_count_override": str(samples)}
    if max_duration_ms:
        settings["max_duration"] = str(max_duration_ms)
    return settings


def probe_max_duration_ms(target_qps: float) -> int:
    scheduled_ms = max(PROBE_MIN_DURATION_MS, 1000 * PROBE_MIN_QUERIES / target_qps)
    return int(PROBE_DURATION_CAP * scheduled_ms)


def probe_passed(result: RunResult) -> bool:
    """The latency limits held and the run was long enough; early stopping is left to the
    confirmation run, since a short probe never has enough queries for it."""
    if not result.ok:
        return False
    values = result.outcome
    return bool(values.latency_constraints_met) and not values.errors


def search_server(setup: Setup, counter: RunCounter, contender: str, start_qps: float | None, max_probes: int,
                  announce: Callable[[RunResult], None], ceiling_qps: float | None = None) -> ServerSearch:
    """`ceiling_qps`: the contender's own Offline samples/s, which no sound Server run holds; the
    search never probes above it."""
    if contender != HARNESS and setup.reference_dir is None:
        return ServerSearch(contender, None, None, [], unavailable="reference not available")
    if not start_qps:
        return ServerSearch(contender, None, None, [], unavailable="no Offline throughput to start the search from")

    def probe(target_qps: float) -> Probe:
        result = run_server(setup, counter, contender, target_qps, PROBE_MIN_QUERIES, announce,
                            probe_max_duration_ms(target_qps))
        return Probe(target_qps, probe_passed(result), result)

    search = find_max_passing_qps(probe, start_qps, max_probes=max_probes, tolerance=SEARCH_TOLERANCE,
                                  ceiling_qps=ceiling_qps)
    report = ServerSearch(contender, start_qps, search, [])
    for share in CONFIRM_LADDER if search.best_qps else ():
        target = float(f"{search.best_qps * share:.3g}")
        result = run_server(setup, counter, contender, target, CONFIRM_MIN_QUERIES, announce)
        report.confirmations.append(result)
        if result.ok and result.outcome.valid:
            break
    return report


def run_server(setup: Setup, counter: RunCounter, contender: str, target_qps: float, min_queries: int,
               announce: Callable[[RunResult], None], max_duration_ms: int = 0) -> RunResult:
    """One Server run of a contender, loading distinct samples for every query it will issue."""
    runner = run_harness if contender == HARNESS else run_reference
    out = counter.next_dir(setup, contender, "Server")
    samples = distinct_samples(target_qps, min_queries, setup.dataset_samples)
    result = runner(setup, out, "Server", samples, server_loadgen_settings(target_qps, min_queries, samples,
                                                                           max_duration_ms))
    announce(result)
    return result
