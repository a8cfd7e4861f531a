"""Offline, side by side: plain LLM.generate, the harness and the reference, one after another
(A B C A B C ...), so that load from other users of the machine falls on all three alike."""
from __future__ import annotations

import dataclasses
import statistics
from typing import Callable

from benchmarks.harness_bench.contenders import (HARNESS, PLAIN, REFERENCE, RunCounter, RunResult, Setup,
                                                 run_harness, run_plain, run_reference)


@dataclasses.dataclass
class OfflineComparison:
    samples: int
    loadgen: dict[str, str]
    runs: list[RunResult]

    def tokens_per_second(self, contender: str) -> list[float]:
        return [r.tokens_per_second for r in self.runs if r.contender == contender and r.ok]

    def median(self, contender: str) -> float | None:
        values = self.tokens_per_second(contender)
        return statistics.median(values) if values else None

    def ratio(self, numerator: str, denominator: str) -> float | None:
        top, bottom = self.median(numerator), self.median(denominator)
        return round(top / bottom, 3) if top and bottom else None

    def round_ratios(self, numerator: str, denominator: str) -> list[float]:
        """The same ratio within each round: the runs closest in time to each other."""
        ratios = []
        for round_runs in _rounds(self.runs):
            top = [r.tokens_per_second for r in round_runs if r.contender == numerator and r.ok]
            bottom = [r.tokens_per_second for r in round_runs if r.contender == denominator and r.ok]
            if top and bottom:
                ratios.append(round(top[0] / bottom[0], 3))
        return ratios


def offline_loadgen_settings(samples: int) -> dict[str, str]:
    """Every sample exactly once (equal-issue mode pads to whole passes over the loaded set)."""
    return {"min_duration": "1000", "min_query_count": str(samples),
            "performance_sample_count_override": str(samples)}


def compare_offline(setup: Setup, counter: RunCounter, samples: int, rounds: int,
                    announce: Callable[[RunResult], None]) -> OfflineComparison:
    loadgen = offline_loadgen_settings(samples)
    comparison = OfflineComparison(samples, loadgen, [])
    for _ in range(rounds):
        for contender in (PLAIN, HARNESS, REFERENCE):
            comparison.runs.append(run_offline(setup, counter, contender, samples, announce))
    return comparison


def run_offline(setup: Setup, counter: RunCounter, contender: str, samples: int,
                announce: Callable[[RunResult], None]) -> RunResult:
    """One Offline run of one contender over the first `samples` samples, each issued once."""
    out = counter.next_dir(setup, contender, "Offline")
    if contender == PLAIN:
        result = run_plain(setup, out, samples)
    elif contender == HARNESS:
        result = run_harness(setup, out, "Offline", samples, offline_loadgen_settings(samples))
    else:
        result = run_reference(setup, out, "Offline", samples, offline_loadgen_settings(samples))
    announce(result)
    return result


def _rounds(runs: list[RunResult]) -> list[list[RunResult]]:
    rounds: list[list[RunResult]] = []
    for run in runs:
        if run.contender == PLAIN or not rounds:
            rounds.append([])
        rounds[-1].append(run)
    return rounds
