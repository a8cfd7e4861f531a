# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read `fleetbench_server_search.json`, the harness's record of a Server capacity search
(docs/contract/README.md, server_search.schema.json), into the result record's `server_search`."""
from __future__ import annotations

import math
import typing as t

SERVER_SEARCH_FILE = "fleetbench_server_search.json"

_RUN_NUMBERS = ("qps", "completed_tokens_per_second", "completed_samples_per_second", "ttft_p99_ns", "tpot_p99_ns",
                "duration_s")


def search_problem(data: t.Mapping[str, t.Any]) -> str | None:
    """Why the file cannot be used (one line), or None. Only what the report reads is checked."""
    for key in ("probes", "confirm_runs"):
        runs = data.get(key)
        if not isinstance(runs, list) or not all(isinstance(run, dict) for run in runs):
            return f"'{key}' must be a list of objects"
        for position, run in enumerate(runs, 1):
            problem = _run_problem(run)
            if problem:
                return f"{key} entry {position}: {problem}"
    if not isinstance(data.get("confirmed"), bool):
        return "'confirmed' must be true or false"
    for key in ("highest_valid_qps", "highest_held_qps", "lowest_failed_qps"):
        value = data.get(key)
        if value is not None and not _positive(value):
            return f"'{key}' must be a positive number or null, got {value!r:.40}"
    if data["confirmed"] and data.get("highest_valid_qps") is None:
        return "'confirmed' is true but 'highest_valid_qps' is null"
    return None


def _run_problem(run: t.Mapping[str, t.Any]) -> str | None:
    if not _positive(run.get("qps")):
        return f"'qps' must be a positive number, got {run.get('qps')!r:.40}"
    for key in _RUN_NUMBERS[1:]:
        value = run.get(key)
        if value is not None and not (_number(value) and value >= 0):
            return f"'{key}' must be a number of 0 or more or null, got {value!r:.40}"
    for key in ("valid", "within_limits"):
        if run.get(key) is not None and not isinstance(run.get(key), bool):
            return f"'{key}' must be true, false or null"
    return None


def _number(value: t.Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and abs(value) < 1e18


def _positive(value: t.Any) -> bool:
    return _number(value) and value > 0
