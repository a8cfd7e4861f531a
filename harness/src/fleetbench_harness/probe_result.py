"""What one probe or confirm run of a Server capacity search measured, read from its folder.

The harness and the collection share no code: this reads only the few LoadGen detail-log keys
the search decides on (`:::MLLOG {json}` lines) and the harness's own fleetbench_run.json."""
from __future__ import annotations

import json
import pathlib

DETAIL_LOG = "mlperf_log_detail.txt"
RUN_FILE = "fleetbench_run.json"
_KEYS = {
    "result_validity": "validity",
    "result_completed_tokens_per_second": "completed_tokens_per_second",
    "result_completed_samples_per_sec": "completed_samples_per_second",
    "result_first_token_99.00_percentile_latency_ns": "ttft_p99_ns",
    "result_time_per_output_token_99.00_percentile_ns": "tpot_p99_ns",
}


def read_probe(folder: pathlib.Path) -> dict:
    """{valid, within_limits, completed_tokens_per_second, completed_samples_per_second,
    ttft_p99_ns, tpot_p99_ns, ttft_limit_ns, tpot_limit_ns, duration_s}; values a run did not
    write are None, and a run without them is not within limits."""
    values = _detail_values(folder / DETAIL_LOG)
    run_info = _json(folder / RUN_FILE)
    settings = run_info.get("loadgen_settings") or {}
    found = {name: values.get(key) for key, name in _KEYS.items()}
    validity = found.pop("validity")
    result = {
        "valid": None if validity is None else validity == "VALID",
        **found,
        "ttft_limit_ns": settings.get("ttft_latency"),
        "tpot_limit_ns": settings.get("tpot_latency"),
        "duration_s": (run_info.get("measured") or {}).get("duration_s"),
    }
    result["within_limits"] = within_limits(result)
    return result


def within_limits(result: dict) -> bool:
    pairs = [(result.get("ttft_p99_ns"), result.get("ttft_limit_ns")),
             (result.get("tpot_p99_ns"), result.get("tpot_limit_ns"))]
    return all(_number(value) and _number(limit) and value <= limit for value, limit in pairs)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _detail_values(path: pathlib.Path) -> dict:
    values: dict = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return values
    for line in lines:
        head, sep, body = line.partition(":::MLLOG")
        if not sep:
            continue
        try:
            entry = json.loads(body)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("key") in _KEYS:
            values[entry["key"]] = entry.get("value")
    return values


def _json(path: pathlib.Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
