# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the files the fleetbench harness writes beside LoadGen's (docs/contract/README.md)."""
from __future__ import annotations

import datetime
import json
import typing as t

STATUS_FILE = "fleetbench_status.json"
RUN_FILE = "fleetbench_run.json"
ACCURACY_FILE = "fleetbench_accuracy.json"

PHASES = ("starting", "loading_model", "loading_dataset", "warmup", "waiting", "running", "scoring", "done", "failed")


def read_json_object(path: str) -> tuple[dict[str, t.Any] | None, str | None]:
    """(object, problem): problem is a one-line reason when the file is not a JSON object."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    if not text.strip():
        return None, "file is empty"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return None, f"not valid JSON: {exc}"
    if not isinstance(data, dict):
        return None, f"expected a JSON object, found {type(data).__name__}"
    return data, None


def status_problem(status: t.Mapping[str, t.Any]) -> str | None:
    """Why a status file breaks the contract, or None."""
    phase = status.get("phase")
    if phase not in PHASES:
        return f"'phase' is {phase!r}, expected one of {', '.join(PHASES)}"
    return None


def status_age_s(status: t.Mapping[str, t.Any], now: datetime.datetime) -> float | None:
    """Seconds since the harness last rewrote its status file; None when `updated_at` is unreadable."""
    text = str(status.get("updated_at") or "")
    try:
        updated = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=datetime.timezone.utc)
    return (now - updated).total_seconds()
