"""What vLLM's prefix cache changes, measured rather than assumed: one run of each contender with
the cache on, beside the same contender's numbers with it off (the benchmark's own tables)."""
from __future__ import annotations

import dataclasses
from typing import Callable

from benchmarks.harness_bench.contenders import HARNESS, PLAIN, REFERENCE, RunCounter, RunResult, Setup
from benchmarks.harness_bench.offline_rounds import OfflineComparison, run_offline
from benchmarks.harness_bench.server_search import CONFIRM_MIN_QUERIES, ServerSearch, run_server


@dataclasses.dataclass(frozen=True)
class CacheEffect:
    contender: str
    scenario: str
    off: RunResult | None  # Server: the confirmed VALID run with the cache off (its latencies); Offline: None
    off_tokens_per_second: float | None  # Offline: the median of the rounds; Server: that VALID run
    on: RunResult

    @property
    def change(self) -> float | None:
        """Cache on over cache off, minus one: +0.05 is 5% more tokens/s with the cache."""
        if not self.on.ok or not self.off_tokens_per_second:
            return None
        return round(self.on.tokens_per_second / self.off_tokens_per_second - 1, 3)


def measure_cache_effect(setup: Setup, counter: RunCounter, offline: OfflineComparison,
                         server: dict[str, ServerSearch], announce: Callable[[RunResult], None]) -> list[CacheEffect]:
    """Offline: every contender over the same samples. Server: at the target QPS each contender
    was confirmed VALID at with the cache off, with the same number of queries."""
    cached = dataclasses.replace(setup, prefix_cache=True)
    effects = []
    for contender in (PLAIN, HARNESS, REFERENCE):
        if contender == REFERENCE and setup.reference_dir is None:
            continue
        on = run_offline(cached, counter, contender, offline.samples, announce)
        effects.append(CacheEffect(contender, "Offline", None, offline.median(contender), on))
    for contender in (HARNESS, REFERENCE):
        best = server[contender].best_valid if contender in server else None
        if best is None:
            continue
        on = run_server(cached, counter, contender, float(best.settings["target_qps"]), CONFIRM_MIN_QUERIES, announce)
        effects.append(CacheEffect(contender, "Server", best, best.tokens_per_second, on))
    return effects
