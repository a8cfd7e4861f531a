"""The fleet start barrier: wait, model loaded and warmed up, for one agreed wall-clock time.

Every host of a fleet run is given the same `--start-at`; each loads its model and dataset, warms
up, then sleeps until that moment and only then starts LoadGen's measurement. A host that is
ready late starts at once and records by how much it missed the time (the report then shows the
hosts' measured windows and their overlap)."""
from __future__ import annotations

import datetime
import time

from fleetbench_harness.errors import BadInput

# A start time this far ahead is a typo (milliseconds for seconds, a wrong year), not a plan.
MAX_AHEAD_S = 24 * 3600
# Sleep in short steps so a changed wall clock (NTP step) cannot hold the run far past its time.
STEP_S = 0.5


def parse_start_at(text: str, now: float | None = None) -> float:
    """`text` as UTC epoch seconds: digits (epoch seconds) or ISO 8601 with a time zone."""
    now = time.time() if now is None else now
    text = (text or "").strip()
    try:
        epoch = float(text)
    except ValueError:
        epoch = _iso_epoch(text)
    if epoch != epoch or epoch in (float("inf"), float("-inf")) or epoch <= 0:
        raise BadInput(f"--start-at {text!r} is not a time: give UTC epoch seconds or an ISO 8601 time with a zone")
    if epoch - now > MAX_AHEAD_S:
        raise BadInput(f"--start-at {text!r} is {round((epoch - now) / 3600, 1)} h ahead: at most 24 h ahead is accepted")
    return epoch


def _iso_epoch(text: str) -> float:
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadInput(f"--start-at {text!r} is not a time: give UTC epoch seconds or an ISO 8601 time with a zone") from None
    if moment.tzinfo is None:
        raise BadInput(f"--start-at {text!r} has no time zone: add Z (UTC) or an offset such as +00:00")
    return moment.timestamp()


def wait_until(epoch: float, clock=time.time, sleep=time.sleep) -> float:
    """Sleep until `epoch`; return how many seconds late the caller is (0.0 when on time)."""
    left = epoch - clock()
    if left <= 0:
        return round(-left, 3)
    while left > 0:
        sleep(min(left, STEP_S))
        left = epoch - clock()
    return 0.0


def iso_utc(epoch: float) -> str:
    """Epoch seconds as ISO 8601 UTC with milliseconds, as the run record keeps measured times."""
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).isoformat(timespec="milliseconds")


def measured_window(start: float, end: float, start_at: float | None, late_by_s: float | None,
                    progress: list | None = None) -> dict:
    """The run record's `measured`: when LoadGen's test ran, the agreed start it waited for, and
    the cumulative [seconds, samples, tokens] points of its progress (measured_progress.py)."""
    window = {"start": iso_utc(start), "end": iso_utc(end), "duration_s": round(end - start, 3),
              "progress": progress or []}
    if start_at is not None:
        window["start_at"] = iso_utc(start_at)
        window["late_by_s"] = late_by_s or 0.0
    return window
