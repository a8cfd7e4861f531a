# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn LoadGen's keys (detail-log vocabulary) into result record fields.

Every function reads through a KeyReader, which remembers the keys it handed out, so the
keys no function mapped can be kept verbatim in the record's `extra`.
"""
from __future__ import annotations

import datetime
import re
import typing as t

_MODES = {
    "PerformanceOnly": "performance",
    "AccuracyOnly": "accuracy",
    "SubmissionRun": "submission",
    "FindPeakPerformance": "find_peak_performance",
}

_LATENCY_TABLES = {
    # record field: (percentile key pattern, {stat: key})
    "latency_ns": (re.compile(r"^result_(\d+\.\d+)_percentile_latency_ns$"), "result_{}_latency_ns"),
    "per_query_latency_ns": (re.compile(r"^result_(\d+\.\d+)_percentile_per_query_latency_ns$"),
                             "result_{}_query_latency_ns"),
    "ttft_ns": (re.compile(r"^result_first_token_(\d+\.\d+)_percentile_latency_ns$"),
                "result_first_token_{}_latency_ns"),
    "tpot_ns": (re.compile(r"^result_time_per_output_token_(\d+\.\d+)_percentile_ns$"),
                "result_time_to_output_token_{}"),
}

_CHECKS = (
    ("result_min_duration_met", "min_duration", "the run was shorter than min_duration"),
    ("result_min_queries_met", "min_queries", "fewer queries than min_query_count"),
    ("early_stopping_met", "early_stopping", "early stopping criteria not met"),
    ("result_perf_constraints_met", "performance_constraints", "latency constraints (latency, TTFT or TPOT) not met"),
)

# Provenance keys whose values run to kilobytes; the record keeps a summary of them.
_BULKY_KEYS = ("loaded_qsl_set", "loadgen_file_sha1", "loadgen_git_log_message")

_POWER_TIME_FORMAT = "%m-%d-%Y %H:%M:%S.%f"
# Beyond any rate, latency (ns) or count a machine produces: a larger value is garbage.
_LARGEST = 1e18


def is_number(value: t.Any) -> bool:
    """A finite int or float (not a bool) of a size a measurement can have."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    # Compared before any float conversion: a 400-digit int overflows math.isfinite. NaN and
    # infinities fail the comparison too.
    return abs(value) < _LARGEST


def is_count(value: t.Any) -> bool:
    return isinstance(value, int) and is_number(value) and value >= 0


def shown(value: t.Any) -> str:
    """A value quoted for a problem message, short whatever it holds."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's digit limit for str()
        text = f"a {type(value).__name__} too large to print"
    return text if len(text) <= 60 else text[:57] + "..."


class KeyReader:
    """Read access to LoadGen's key/value pairs that records every key it returns."""

    def __init__(self, values: t.Mapping[str, t.Any]):
        self.values = values
        self.used: set[str] = set()
        # (key, message) for each value of the wrong type for its key
        self.problems: list[tuple[str, str]] = []

    def wrong(self, key: str, value: t.Any, expected: str) -> None:
        self.problems.append((key, f"{key} is {shown(value)}, expected {expected}"))

    def text(self, key: str) -> str | None:
        """The value of `key` if it is a string; anything else is a problem and None."""
        value = self.get(key)
        if value is None or isinstance(value, str):
            return value
        self.wrong(key, value, "text")
        return None

    def checked_number(self, key: str, value: t.Any) -> t.Any:
        if value is None or is_number(value):
            return value
        self.wrong(key, value, "a finite number")
        return None

    def number(self, key: str) -> t.Any:
        return self.checked_number(key, self.get(key))

    def count(self, key: str) -> int | None:
        """A non-negative integer LoadGen counted, read without marking it used."""
        value = self.values.get(key)
        if value is None or is_count(value):
            return value
        self.wrong(key, value, "a whole number of queries or samples")
        return None

    def get(self, key: str, default: t.Any = None) -> t.Any:
        if key in self.values:
            self.used.add(key)
            return self.values[key]
        return default

    def first(self, *keys: str) -> tuple[str | None, t.Any]:
        """(key, value) of the first key present, or (None, None)."""
        for key in keys:
            if key in self.values:
                self.used.add(key)
                return key, self.values[key]
        return None, None

    def matching(self, pattern: re.Pattern[str]) -> dict[str, re.Match[str]]:
        found = {key: m for key in self.values if (m := pattern.match(key))}
        self.used.update(found)
        return found

    def unused(self) -> dict[str, t.Any]:
        return {k: v for k, v in self.values.items() if k not in self.used}


def mode_name(test_mode: t.Any) -> str | None:
    if not isinstance(test_mode, str):
        return None
    return _MODES.get(test_mode, test_mode.lower())


def percentile_name(percent: str) -> str:
    """'99.90' -> 'p99.9', '50.00' -> 'p50'."""
    return f"p{float(percent):g}"


def latency_table(keys: KeyReader, field: str) -> dict[str, t.Any]:
    pattern, stat_template = _LATENCY_TABLES[field]
    table = {}
    for stat in ("mean", "min", "max"):
        value = keys.number(stat_template.format(stat))
        if value is not None:
            table[stat] = value
    for key, match in sorted(keys.matching(pattern).items(), key=lambda item: float(item[1].group(1))):
        value = keys.checked_number(key, keys.values[key])
        if value is not None:
            table[percentile_name(match.group(1))] = value
    return table


def latencies(keys: KeyReader, scenario: str | None) -> dict[str, dict[str, t.Any] | None]:
    """latency_ns, ttft_ns, tpot_ns. MultiStream is judged on per-query latency."""
    overall = latency_table(keys, "latency_ns")
    per_query = latency_table(keys, "per_query_latency_ns")
    return {
        "latency_ns": per_query if scenario == "MultiStream" and per_query else overall,
        "ttft_ns": latency_table(keys, "ttft_ns") or None,
        "tpot_ns": latency_table(keys, "tpot_ns") or None,
    }


def throughput(keys: KeyReader, scenario: str | None) -> dict[str, t.Any]:
    """samples_per_second, tokens_per_second (Server: completed), and whether tokens are inferred."""
    samples_key, samples = keys.first("result_completed_samples_per_sec", "result_samples_per_second")
    samples = keys.checked_number(samples_key or "", samples)
    if samples is None and scenario in ("SingleStream", "MultiStream"):
        qps = keys.number("result_qps_with_loadgen_overhead")
        per_query = keys.count("effective_samples_per_query") or 1
        samples = None if qps is None else qps * per_query
    token_key, tokens = keys.first(
        "result_completed_tokens_per_second", "result_tokens_per_second",
        "result_inferred_completed_tokens_per_second", "result_inferred_tokens_per_second",
    )
    tokens = keys.checked_number(token_key or "", tokens)
    if tokens is None and scenario in ("SingleStream", "MultiStream"):
        # A summary prints these scenarios' tokens/s only as "TPS w/ loadgen overhead".
        tokens = keys.number("result_token_throughput_with_loadgen_overhead")
    return {
        "samples_per_second": samples,
        "tokens_per_second": tokens,
        "tokens_per_second_inferred": token_key in ("result_inferred_completed_tokens_per_second", "result_inferred_tokens_per_second"),
    }


def settings(keys: KeyReader, summary_settings: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """LoadGen's effective settings; the summary fills what the detail log leaves out
    (Offline runs log no TTFT/TPOT limits there)."""
    result = {key[len("effective_"):]: keys.values[key] for key in keys.values if key.startswith("effective_")}
    keys.used.update(f"effective_{name}" for name in result)
    result.pop("scenario", None)
    result.pop("test_mode", None)
    for name, key in (("ttft_latency_ns", "requested_server_ttft_latency"),
                      ("tpot_latency_ns", "requested_server_tpot_latency"),
                      ("use_token_latencies", "requested_use_token_latencies")):
        if key in keys.values:
            result.setdefault(name, keys.values[key])
    for name, value in summary_settings.items():
        result.setdefault(name, value)
    return result


def invalid_reasons(keys: KeyReader, recommendations: list[t.Any]) -> list[dict[str, str]]:
    """One {check, message} per failed LoadGen check, LoadGen's own advice appended."""
    advice = " ".join(str(text).strip() for text in recommendations if str(text).strip())
    reasons = []
    for key, check, message in _CHECKS:
        if keys.get(key) is False:
            detail = _early_stopping_detail(keys) if check == "early_stopping" else ""
            reasons.append({"check": check, "message": message + (f": {detail}" if detail else "")})
    if advice:
        reasons.append({"check": "loadgen_recommendation", "message": advice})
    return reasons


def _early_stopping_detail(keys: KeyReader) -> str:
    texts = []
    for key, label in (("early_stopping_result", ""), ("early_stopping_ttft_result", "TTFT"),
                       ("early_stopping_tpot_result", "TPOT")):
        text = " ".join(str(keys.get(key) or "").split())
        if text and "Run successful" not in text:
            texts.append(f"{label} {text}".strip())
    return "; ".join(texts)


def loadgen_build(keys: KeyReader) -> dict[str, t.Any]:
    """{version, git_commit, ...} from 'loadgen_version' ('5.1.0 @ b9ed3c7fec')."""
    version, commit = (str(keys.get("loadgen_version") or "").split(" @ ", 1) + [""])[:2]
    log_message = keys.get("loadgen_git_log_message")
    build = {
        "version": version or None,
        "git_commit": commit or None,
        "build": keys.get("loadgen_build_date_utc"),
        "git_commit_date": keys.get("loadgen_git_commit_date"),
        "git_status_message": keys.get("loadgen_git_status_message"),
        "git_log_head": str(log_message).splitlines()[0] if log_message else None,
    }
    return build


def bulky_summaries(keys: KeyReader) -> dict[str, t.Any]:
    summaries = {}
    for key in _BULKY_KEYS:
        value = keys.get(key)
        if isinstance(value, (list, dict)):
            summaries[f"{key}_size"] = len(value)
    return summaries


def sample_counts(keys: KeyReader, finished: bool, mode: str | None) -> tuple[int | None, int | None]:
    """(issued, completed) samples as LoadGen counted them, known only once it finished.

    LoadGen ends a test only after every issued query completed, so its own counts agree by
    construction; samples lost on the way show in the harness's status file instead. In
    performance mode the generated schedule is an upper bound (SingleStream/MultiStream stop
    early), so only `result_query_count` counts what was issued.
    """
    # Read without marking: the query counts stay in `extra` as LoadGen logged them. Each must
    # be a count: a string times 10**9 once built a 1 GB string here.
    per_query = keys.count("generated_samples_per_query") or keys.count("effective_samples_per_query")
    if not finished or per_query is None:
        return None, None
    queries = keys.count(query_count_key(mode))
    if queries is None:
        return None, None
    return queries * per_query, queries * per_query


def query_count_key(mode: str | None) -> str:
    """The key holding how many queries LoadGen issued: it writes it in every finished run."""
    return "generated_query_count" if mode == "accuracy" else "result_query_count"


def duration_s(keys: KeyReader) -> float | None:
    """Seconds between LoadGen's power_begin and power_end marks (millisecond resolution)."""
    begin, end = keys.get("power_begin"), keys.get("power_end")
    try:
        start = datetime.datetime.strptime(str(begin), _POWER_TIME_FORMAT)
        stop = datetime.datetime.strptime(str(end), _POWER_TIME_FORMAT)
    except ValueError:
        return None
    return round((stop - start).total_seconds(), 3)
