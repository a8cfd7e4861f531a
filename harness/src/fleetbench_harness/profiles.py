"""LoadGen profiles: `official` keeps the llama3_1-8b values compiled into LoadGen; `quick` lowers
duration and query counts so a run ends in seconds, and is never compliant."""
from __future__ import annotations

from fleetbench_harness.scenarios import Scenario

PROFILES = ("official", "quick")

# Quick profile, per LoadGen scenario. Durations are in ms; query counts are capped by the
# dataset size at run time (one pass over the samples is enough to read throughput and latency).
QUICK = {
    "Offline": {"min_duration": 0, "min_query_count": 1},
    # Early stopping needs about 460 queries before p99 TTFT/TPOT can be called met.
    "Server": {"min_duration": 2000, "min_query_count": 480, "target_qps": 40},
    # target_latency (ms) sizes the query count from min_duration; 64 queries settle p90 early stopping.
    "SingleStream": {"min_duration": 1000, "min_query_count": 64, "target_latency": 250},
}
QUICK_MAX_SAMPLES = 64


def profile_overrides(profile: str, scenario: Scenario, dataset_samples: int) -> dict[str, str]:
    """user.conf keys (without model/scenario prefix) the profile sets. Streaming scenarios get their
    sample count once LoadGen has read the settings (sample_plan): enough for distinct prompts."""
    if profile == "official":
        return {}
    values = dict(QUICK[scenario.loadgen_scenario])
    if not scenario.streaming:
        values["performance_sample_count_override"] = min(dataset_samples, QUICK_MAX_SAMPLES)
    return {key: str(value) for key, value in values.items()}


def is_compliant(profile: str, overrides: dict[str, str], user_conf_lines: list[str]) -> bool:
    """Only the untouched official settings are compliant. A user.conf may legitimately set
    target_qps / expected latencies; anything else relaxes the rules."""
    if profile != "official":
        return False
    allowed = {"target_qps", "target_latency", "single_stream_expected_latency_ns", "offline_expected_qps"}
    keys = set(overrides)
    for line in user_conf_lines:
        key = line.split("=", 1)[0].strip().rsplit(".", 1)[-1]
        keys.add(key)
    return keys <= allowed
