"""How many distinct samples a performance run loads, against how many queries LoadGen will issue.

A prompt issued twice in one run can be served from whatever the engine cached the first time, so
a short run's throughput is only sound when every measured query carries a new prompt. The quick
profile loads enough distinct samples for that; the official profile keeps LoadGen's own counts
(its equal-issue mode and 600 s runs are what the rules define). Where the dataset is too small,
the run record says so in `warnings`."""
from __future__ import annotations

import math

# LoadGen's Poisson schedule may issue a few more queries than rate x duration; and with equal-issue
# mode it pads the run to a multiple of the sample count, so spare samples cost nothing.
QUERY_MARGIN = 1.1


def expected_queries(loadgen_scenario: str, settings: dict) -> int | None:
    """Queries LoadGen will issue, from the TestSettings it read (None for Offline: one query)."""
    min_queries = int(settings.get("min_query_count") or 0)
    duration_s = float(settings.get("min_duration_ms") or 0) / 1000
    if loadgen_scenario == "Server":
        return max(min_queries, math.ceil(float(settings.get("server_target_qps") or 0) * duration_s))
    if loadgen_scenario == "SingleStream":
        latency_s = float(settings.get("single_stream_expected_latency_ns") or 0) / 1e9
        by_duration = math.ceil(duration_s / latency_s) if latency_s > 0 else 0
        return max(min_queries, by_duration)
    return None


def distinct_samples_for(queries: int, dataset_samples: int) -> int:
    return min(dataset_samples, math.ceil(queries * QUERY_MARGIN))


def sample_plan(performance_samples: int, queries: int | None) -> dict:
    """The plan as recorded: samples loaded, queries expected, how often each prompt comes back."""
    issues = 1 if queries is None else max(1, math.ceil(queries / performance_samples))
    return {"performance_samples": performance_samples, "expected_queries": queries, "issues_per_sample": issues}


def reuse_warning(plan: dict) -> str | None:
    if plan["issues_per_sample"] <= 1:
        return None
    return (f"dataset too small for distinct prompts: {plan['performance_samples']} samples for about "
            f"{plan['expected_queries']} queries, each prompt issued about {plan['issues_per_sample']} times "
            "(anything that caches across queries would inflate the numbers)")
