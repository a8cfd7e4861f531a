# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When each host of a fleet run measured, how long all of them measured together, and each
host's throughput over only that shared window (from the harness's `measured` record)."""
from __future__ import annotations

import datetime
import typing as t

# A run is fleet-wide when every host measured together for at least this share of the shortest run.
FLEET_WIDE_MIN_OVERLAP = 0.9
# The progress column each throughput headline counts: samples or tokens.
_COLUMN = {"samples_per_second": 1, "completed_samples_per_second": 1,
           "tokens_per_second": 2, "completed_tokens_per_second": 2}


def host_window(record: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
    """The host's measured start and end (epoch seconds and ISO text), or None when not recorded."""
    measured = (record.get("run_info") or {}).get("measured")
    if not isinstance(measured, t.Mapping):
        return None
    start, end = _epoch(measured.get("start")), _epoch(measured.get("end"))
    if start is None or end is None or end < start:
        return None
    return {"host": record.get("host"), "start": measured["start"], "end": measured["end"],
            "start_epoch": start, "end_epoch": end, "duration_s": round(end - start, 3),
            "late_by_s": measured.get("late_by_s")}


def fleet_window(records: list[t.Mapping[str, t.Any]]) -> dict[str, t.Any]:
    """The hosts' windows, the window they share, and whether the run counts as fleet-wide."""
    windows = [host_window(r) for r in records]
    missing = sorted(str(r.get("host")) for r, w in zip(records, windows) if w is None)
    hosts = sorted((w for w in windows if w), key=lambda w: str(w["host"]))
    result: dict[str, t.Any] = {"hosts": [_public(w) for w in hosts], "fleet_wide": False, "limited_by": missing,
                                "overlap_start": None, "overlap_end": None, "overlap_s": None, "overlap_pct": None}
    if missing or not hosts:
        result["verdict"] = ("not fleet-wide: no measured start and end for " + ", ".join(missing)
                             + " (a harness without --start-at)")
        return result
    start = max(w["start_epoch"] for w in hosts)
    end = min(w["end_epoch"] for w in hosts)
    overlap = max(0.0, end - start)
    shortest = min(w["duration_s"] for w in hosts)
    share = overlap / shortest if shortest > 0 else 0.0
    result.update({"overlap_start": _iso(start) if overlap else None, "overlap_end": _iso(end) if overlap else None,
                   "overlap_start_epoch": start, "overlap_end_epoch": end,
                   "overlap_s": round(overlap, 3), "shortest_s": shortest, "overlap_pct": round(share * 100, 1),
                   "fleet_wide": share >= FLEET_WIDE_MIN_OVERLAP,
                   "limited_by": sorted({max(hosts, key=lambda w: w["start_epoch"])["host"],
                                         min(hosts, key=lambda w: w["end_epoch"])["host"]})})
    if result["fleet_wide"]:
        result["verdict"] = (f"fleet-wide: all {len(hosts)} hosts measured together for {overlap:.1f} s, "
                             f"{share * 100:.1f}% of the shortest run")
    else:
        result["verdict"] = (f"not fleet-wide: the {len(hosts)} hosts measured together for {overlap:.1f} s, "
                             f"{share * 100:.1f}% of the shortest run ({FLEET_WIDE_MIN_OVERLAP * 100:.0f}% needed)")
    return result


def window_rate(record: t.Mapping[str, t.Any], start: float, end: float, metric: str) -> float | None:
    """The host's throughput (the headline's unit) between two epoch times inside its measured
    window, from the harness's cumulative progress points; None when they are not recorded."""
    window = host_window(record)
    points = ((record.get("run_info") or {}).get("measured") or {}).get("progress")
    column = _COLUMN.get(metric)
    if window is None or column is None or not isinstance(points, list) or len(points) < 2 or end <= start:
        return None
    try:
        series = sorted((float(p[0]), float(p[column])) for p in points)
    except (TypeError, ValueError, IndexError):
        return None
    offset = window["start_epoch"]
    return (_at(series, end - offset) - _at(series, start - offset)) / (end - start)


def _at(series: list[tuple[float, float]], when: float) -> float:
    """The cumulative count at `when` seconds, linear between points, flat beyond the ends."""
    if when <= series[0][0]:
        return series[0][1]
    for (t0, v0), (t1, v1) in zip(series, series[1:]):
        if when <= t1:
            return v0 if t1 == t0 else v0 + (v1 - v0) * (when - t0) / (t1 - t0)
    return series[-1][1]


def _public(window: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {k: window[k] for k in ("host", "start", "end", "duration_s", "late_by_s")}


def _epoch(text: t.Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo else None


def _iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).isoformat(timespec="milliseconds")
