# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read LoadGen's mlperf_log_summary.txt into the detail log's key names.

The summary is the fallback source: its labels changed wording between LoadGen releases
("Time to Output Token" became "Time per Output Token", "90th" became "90.0th"), so every
label is translated to the detail-log key that carries the same number, and the record
builder reads one vocabulary whichever file a value came from.
"""
from __future__ import annotations

import dataclasses
import re
import typing as t

SUMMARY_LOG = "mlperf_log_summary.txt"

_LABEL_TO_KEY = {
    "sut name": "sut_name",
    "scenario": "effective_scenario",
    "mode": "effective_test_mode",
    "result is": "result_validity",
    "samples per second": "result_samples_per_second",
    "tokens per second": "result_tokens_per_second",
    "tokens per second (inferred)": "result_inferred_tokens_per_second",
    "completed samples per second": "result_completed_samples_per_sec",
    "scheduled samples per second": "result_scheduled_samples_per_sec",
    "completed tokens per second": "result_completed_tokens_per_second",
    # infer_token_latencies: tokens/s from samples x token_latency_scaling_factor (LoadGen 4.1+).
    "completed tokens per second (inferred)": "result_inferred_completed_tokens_per_second",
    "performance constraints satisfied": "result_perf_constraints_met",
    "min duration satisfied": "result_min_duration_met",
    "min queries satisfied": "result_min_queries_met",
    "early stopping satisfied": "early_stopping_met",
    "qps w/ loadgen overhead": "result_qps_with_loadgen_overhead",
    "qps w/o loadgen overhead": "result_qps_without_loadgen_overhead",
    "tps w/ loadgen overhead": "result_token_throughput_with_loadgen_overhead",
    # The detail log holds this one in tokens per nanosecond (result_token_throughput),
    # so it keeps a summary-only name rather than being compared across units.
    "tps w/o loadgen overhead": "result_token_throughput_without_loadgen_overhead",
}
for _stat in ("min", "max", "mean"):
    _LABEL_TO_KEY[f"{_stat} latency (ns)"] = f"result_{_stat}_latency_ns"
    _LABEL_TO_KEY[f"{_stat} first token latency (ns)"] = f"result_first_token_{_stat}_latency_ns"
    _LABEL_TO_KEY[f"{_stat} time to output token (ns)"] = f"result_time_to_output_token_{_stat}"
    _LABEL_TO_KEY[f"{_stat} time per output token (ns)"] = f"result_time_to_output_token_{_stat}"

_PERCENT = r"(\d{1,3}(?:\.\d{1,6})?)"
_PERCENTILE_LABELS = (
    (re.compile(rf"^{_PERCENT}(?:th)? percentile latency \(ns\)$"), "result_{}_percentile_latency_ns"),
    (re.compile(rf"^{_PERCENT}(?:th)? (?:percentile first token|first token percentile) latency \(ns\)$"),
     "result_first_token_{}_percentile_latency_ns"),
    (re.compile(rf"^{_PERCENT}(?:th)? percentile time (?:to|per) output token \(ns\)$"),
     "result_time_per_output_token_{}_percentile_ns"),
)

# MultiStream's summary prints latencies per query only (its target percentile at the top, the
# rest under "Per-query latency:"), none per sample; the detail log keeps those apart under these keys.
_PER_QUERY_KEYS = {"result_min_latency_ns": "result_min_query_latency_ns",
                   "result_max_latency_ns": "result_max_query_latency_ns",
                   "result_mean_latency_ns": "result_mean_query_latency_ns"}


def per_query_key(key: str) -> str | None:
    """The per-query detail-log key for a sample-latency key read from a MultiStream summary."""
    if key in _PER_QUERY_KEYS:
        return _PER_QUERY_KEYS[key]
    if key.startswith("result_") and key.endswith("_percentile_latency_ns") and "first_token" not in key:
        return key.replace("_percentile_latency_ns", "_percentile_per_query_latency_ns")
    return None


_BLOCK_TO_KEY = {
    "recommendations": "result_invalid_reason",
    "early stopping result": "early_stopping_result",
    "ttft early stopping result": "early_stopping_ttft_result",
    "tpot early stopping result": "early_stopping_tpot_result",
}

_COUNT_LINE = re.compile(r"^(?P<count>no|\d+) (?P<kind>warning|error)s? encountered", re.IGNORECASE)
# Summary lines are under 1,000 characters (a long recommendation); a longer one is garbage,
# reported on its line rather than matched.
MAX_LINE_CHARS = 16384
# Digits beyond any count or duration LoadGen prints: a longer number is garbage, kept as text.
_MAX_DIGITS = 30
_PARAMETER_LABEL = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)(?: \((?P<unit>[a-z]+)\))?$")
_SECTION_PARAMETERS = "test parameters used"


@dataclasses.dataclass
class SummaryLog:
    """A summary in detail-log vocabulary; `lines` gives the line each key was read from."""

    results: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    lines: dict[str, int] = dataclasses.field(default_factory=dict)
    settings: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    blocks: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    warning_count: int | None = None
    error_count: int | None = None
    problems: list[tuple[int | None, str]] = dataclasses.field(default_factory=list)

    @property
    def finished(self) -> bool:
        """LoadGen writes the warning/error counts last: without them the file is cut off."""
        return self.error_count is not None


def convert_value(raw: str) -> t.Any:
    """'Yes'/'NO' -> bool, numbers -> int/float, anything else stays text."""
    lowered = raw.lower()
    if lowered in ("yes", "true"):
        return True
    if lowered in ("no", "false"):
        return False
    if len(raw) > _MAX_DIGITS:
        return raw
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


def label_to_key(label: str) -> str | None:
    """The detail-log key for a summary label, or None for labels with no such key."""
    normalized = " ".join(label.lower().split())
    if normalized in _LABEL_TO_KEY:
        return _LABEL_TO_KEY[normalized]
    for pattern, template in _PERCENTILE_LABELS:
        match = pattern.match(normalized)
        if match:
            return template.format(f"{float(match.group(1)):.2f}")
    return None


def _label_line(line: str) -> tuple[str, str] | None:
    """(label, value) of a 'Label : value' line, or None. String operations, not a pattern:
    a lazy label before `\\s*:` was quadratic in the spaces of a line without a colon."""
    label, colon, value = line.partition(":")
    label = label.strip()
    if not colon or not label or "*" in label:
        return None
    return label, value.strip()


def parse_summary(text: str) -> SummaryLog:
    summary = SummaryLog()
    section = ""
    block: list[str] | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE_CHARS:
            summary.problems.append((lineno, f"line is {len(line)} characters long (over {MAX_LINE_CHARS}): not LoadGen output, skipped"))
            block = None
            continue
        stripped = line.strip()
        if not stripped:
            block = None
            continue
        if stripped.startswith("====="):
            continue
        match = _label_line(line)
        if match is None and _read_count(summary, stripped, lineno):
            continue
        if block is not None and (stripped.startswith("*") or line.startswith(" ")):
            _add_block_line(block, stripped)
            continue
        block = None
        if match is None:
            if stripped.lower() == _SECTION_PARAMETERS or stripped.lower() in ("mlperf results summary", "additional stats"):
                section = stripped.lower()
            continue
        label, value = match
        if not value:
            block_key = _BLOCK_TO_KEY.get(" ".join(label.lower().split()))
            if block_key:
                block = summary.blocks.setdefault(block_key, [])
            continue
        if section == _SECTION_PARAMETERS:
            _read_parameter(summary, label, value)
            continue
        key = label_to_key(label)
        if key is not None and summary.results.get("effective_scenario") == "MultiStream":
            key = per_query_key(key) or key
        if key is not None and key not in summary.results:
            summary.results[key] = convert_value(value)
            summary.lines[key] = lineno
    return summary


def _read_count(summary: SummaryLog, stripped: str, lineno: int) -> bool:
    match = _COUNT_LINE.match(stripped)
    if match is None:
        return False
    digits = match.group("count")
    if len(digits) > _MAX_DIGITS:
        summary.problems.append((lineno, f"{match.group('kind').lower()} count is a {len(digits)}-digit number: garbage"))
        return True
    count = 0 if digits.lower() == "no" else int(digits)
    if match.group("kind").lower() == "warning":
        summary.warning_count = count
    else:
        summary.error_count = count
    return True


def _add_block_line(block: list[str], stripped: str) -> None:
    if stripped.startswith("*") or not block:
        block.append(stripped.lstrip("* ").strip())
    else:
        block[-1] = f"{block[-1]} {stripped}"


def _read_parameter(summary: SummaryLog, label: str, value: str) -> None:
    match = _PARAMETER_LABEL.match(label.strip())
    if match is None:
        return
    name = match.group("name") if not match.group("unit") else f"{match.group('name')}_{match.group('unit')}"
    summary.settings.setdefault(name, convert_value(value))


def read_summary(path: str) -> SummaryLog:
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    summary = parse_summary(text)
    if not text.strip():
        summary.problems.append((None, "file is empty"))
    elif not summary.finished:
        summary.problems.append((None, "no 'errors encountered' line at the end: summary cut off before LoadGen finished"))
    return summary
