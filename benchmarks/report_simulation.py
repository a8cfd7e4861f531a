"""Seeded simulations of whole fleets, judged by the report's own statistics.

Each simulated host runs `repeats` times at its true speed times log-normal run-to-run noise;
the fleet goes through the same functions the report uses. The unit tests hold the observed
rates against the stated ones; `make bench-report` tabulates them so a user can choose repeats.
"""
from __future__ import annotations

import math
import random
import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_stats import (
    HostVerdict,
    compare_hosts,
    host_noise,
    log_values,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import NoiseSettings


def simulated_fleet(rng: random.Random, truth: t.Mapping[str, float], repeats: int,
                    noise: float | t.Mapping[str, float]) -> dict[str, list[float]]:
    """Throughputs of each host's repeats: its true speed times log-normal run-to-run noise."""
    spread = noise if isinstance(noise, t.Mapping) else {h: noise for h in truth}
    return {h: [speed * math.exp(rng.gauss(0, spread[h])) for _ in range(repeats)] for h, speed in truth.items()}


def judge(samples: t.Mapping[str, list[float]], settings: NoiseSettings) -> dict[str, HostVerdict]:
    logs = {h: log_values(v) for h, v in samples.items()}
    return compare_hosts(logs, host_noise(logs), settings)


def false_alarm_rate(hosts: int, repeats: int, noise: float, settings: NoiseSettings, fleets: int, seed: int) -> float:
    """Share of fleets of identical hosts in which any host is flagged."""
    rng = random.Random(seed)
    truth = {f"h{i}": 100.0 for i in range(hosts)}
    return sum(any(v.outside_band for v in judge(simulated_fleet(rng, truth, repeats, noise), settings).values())
               for _ in range(fleets)) / fleets


def detection_rate(hosts: int, repeats: int, noise: float, slowdown: float, settings: NoiseSettings,
                   fleets: int, seed: int) -> float:
    """Share of fleets in which one host, `slowdown` slower than the others, is flagged slower."""
    rng = random.Random(seed)
    truth = {f"h{i}": 100.0 for i in range(hosts - 1)} | {"slow": 100.0 * (1 - slowdown)}
    flagged = 0
    for _ in range(fleets):
        slow = judge(simulated_fleet(rng, truth, repeats, noise), settings)["slow"]
        flagged += slow.outside_band and t.cast(float, slow.deviation_pct) < 0
    return flagged / fleets
