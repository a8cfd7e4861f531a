"""LoadGen TestSettings from the official values, a profile, a user.conf and single overrides.

LoadGen applies its embedded mlperf.conf only on the first `FromConfig` in a process (FACTS.md),
so the harness runs one test per process and checks the settings actually took."""
from __future__ import annotations

import pathlib

import mlperf_loadgen as lg

from fleetbench_harness.errors import BadInput, LoadGenFailure
from fleetbench_harness.scenarios import Scenario

OFFICIAL_SAMPLE_COUNT = 13368
USER_CONF_FILE = "user.conf"

# user.conf key -> TestSettings attribute, used to read back what LoadGen will use.
SETTINGS_REPORTED = (
    "min_duration_ms", "max_duration_ms", "min_query_count", "max_query_count",
    "performance_sample_count_override", "server_target_qps", "offline_expected_qps",
    "single_stream_expected_latency_ns", "ttft_latency", "tpot_latency", "use_token_latencies",
    "sample_concatenate_permutation", "server_target_latency_percentile",
)


# Keys LoadGen 6.0 reads from a user.conf; it silently ignores any other, so the harness refuses them.
USER_CONF_KEYS = frozenset({
    "target_qps", "target_latency", "target_latency_percentile", "min_duration", "max_duration",
    "min_query_count", "max_query_count", "qsl_rng_seed", "sample_index_rng_seed",
    "schedule_rng_seed", "accuracy_log_rng_seed", "accuracy_log_probability",
    "accuracy_log_sampling_target", "print_timestamps", "performance_issue_unique",
    "performance_issue_same", "performance_issue_same_index", "performance_sample_count_override",
    "sample_concatenate_permutation", "coalesce_queries", "max_async_queries",
    "server_num_issue_query_threads", "samples_per_query", "use_token_latencies", "ttft_latency",
    "tpot_latency", "infer_token_latencies", "token_latency_scaling_factor", "test05",
    "test05_qsl_rng_seed", "test05_sample_index_rng_seed", "test05_schedule_rng_seed",
})


def check_user_conf_key(key: str, where: str) -> None:
    if key not in USER_CONF_KEYS:
        raise BadInput(f"{where}: {key!r} is not a LoadGen user.conf key (LoadGen would ignore it)")


def parse_key_values(pairs: list[str], what: str) -> dict[str, str]:
    """`KEY=VALUE` strings from the command line."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadInput(f"{what} {pair!r} is not KEY=VALUE")
        parsed[key.strip()] = value.strip()
    return parsed


def read_user_conf(path: pathlib.Path | None) -> list[str]:
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise BadInput(f"user.conf {path}: {err.strerror}") from None
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        lines.append(line)
        name, sep, _ = line.partition("=")
        parts = name.strip().split(".")
        if not sep or len(parts) != 3:
            raise BadInput(f"user.conf {path}: line {number} is not MODEL.SCENARIO.KEY = VALUE: {line!r}")
        check_user_conf_key(parts[2], f"user.conf {path}")
    return lines


def user_conf_text(scenario: Scenario, overrides: dict[str, str], user_lines: list[str],
                   settings: dict[str, str]) -> str:
    """Profile overrides first, then the user's file, then single settings: later lines win."""
    prefix = f"{scenario.model_key}.{scenario.loadgen_scenario}"
    lines = ["# written by fleetbench-harness: profile, then --user-conf, then --loadgen-setting"]
    lines += [f"{prefix}.{key} = {value}" for key, value in overrides.items()]
    lines += user_lines
    lines += [f"{prefix}.{key} = {value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def build_test_settings(scenario: Scenario, mode: str, conf_path: pathlib.Path) -> lg.TestSettings:
    settings = lg.TestSettings()
    settings.scenario = getattr(lg.TestScenario, scenario.loadgen_scenario)
    settings.mode = lg.TestMode.AccuracyOnly if mode == "accuracy" else lg.TestMode.PerformanceOnly
    if settings.FromConfig(str(conf_path), scenario.model_key, scenario.loadgen_scenario, 1) != 0:
        raise BadInput(f"LoadGen rejected {conf_path} for {scenario.model_key}/{scenario.loadgen_scenario}")
    if not settings.use_token_latencies:
        # The llama3_1-8b keys all turn token latencies on; LoadGen's bare defaults do not.
        raise LoadGenFailure(
            f"LoadGen kept its defaults instead of the {scenario.model_key} settings "
            "(FromConfig called twice in one process?)")
    return settings


def reported_settings(settings: lg.TestSettings) -> dict:
    values = {}
    for name in SETTINGS_REPORTED:
        value = getattr(settings, name)
        values[name] = value if isinstance(value, (bool, int, float)) else str(value)
    return values
