# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which results may be shown as numbers, and with which warnings.

Every rule here is one of the ways real reports went wrong: numbers from runs still in
progress, lost samples printed as a footnote, INVALID printed as a success, 0.9-second and
10-sample runs treated as measurements.
"""
from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.mlperf_compliance import effective_rungs

MIN_REPRESENTATIVE_DURATION_S = 60.0
MIN_REPRESENTATIVE_SAMPLES = 100


@dataclasses.dataclass
class Thresholds:
    min_duration_s: float = MIN_REPRESENTATIVE_DURATION_S
    min_samples: int = MIN_REPRESENTATIVE_SAMPLES


def lost_samples(record: t.Mapping[str, t.Any]) -> int | None:
    issued, completed = record.get("samples_issued"), record.get("samples_completed")
    if issued is None or completed is None:
        return None
    return issued - completed


def is_tabulated(record: t.Mapping[str, t.Any]) -> bool:
    """Only runs that finished may enter a table; anything else is withheld, never shown."""
    return record.get("status") == "complete"


def withheld_reason(record: t.Mapping[str, t.Any]) -> str:
    status = record.get("status")
    if status == "running":
        return "still running: numbers withheld until the run finishes"
    if status == "partial":
        return "cut off before LoadGen wrote its result: numbers withheld"
    if status == "failed":
        return "run failed" + _first_error(record)
    if status == "unreadable":
        return "unreadable result record" + _first_error(record)
    return f"status {status!r}: numbers withheld"


def _first_error(record: t.Mapping[str, t.Any]) -> str:
    causes = list(record.get("errors") or []) + [p.get("message", "") for p in record.get("problems") or []]
    return f": {causes[0]}" if causes else ""


def record_errors(record: t.Mapping[str, t.Any]) -> list[str]:
    """What makes a finished record an error rather than a measurement."""
    # The record's own errors first: LoadGen's error events and the harness's failure. The
    # parser words lost samples there too ("... never completed"); say them once.
    errors = [str(error) for error in record.get("errors") or []]
    lost = lost_samples(record)
    if lost and not any("never completed" in error for error in errors):
        errors.append(
            f"{record.get('samples_completed')} of {record.get('samples_issued')} samples completed ({lost} lost)"
        )
    errors.extend(f"unreadable result: {p.get('message')}" for p in record.get("problems") or [])
    return errors


def validity_label(record: t.Mapping[str, t.Any]) -> str:
    if record_errors(record):
        return "ERROR"
    if record.get("mode") != "performance":
        return "n/a (accuracy run)" if record.get("mode") == "accuracy" else "n/a"
    return {True: "VALID", False: "INVALID"}.get(record.get("valid"), "UNKNOWN")


def invalid_reasons(record: t.Mapping[str, t.Any]) -> list[str]:
    return [
        r.get("message") or r.get("check") or "unspecified" for r in record.get("invalid_reasons") or []
    ]


def is_measurement(record: t.Mapping[str, t.Any]) -> bool:
    """A result whose headline may enter the fleet statistics: finished, VALID, nothing lost."""
    return (
        is_tabulated(record)
        and record.get("mode") == "performance"
        and record.get("valid") is True
        and not record_errors(record)
        and bool(record.get("headline"))
    )


def representativeness(record: t.Mapping[str, t.Any], limits: Thresholds) -> list[str]:
    """Why a run is not representative of sustained performance (empty when it is)."""
    reasons = _measurement_rungs_missed(record)
    duration = record.get("duration_s")
    if duration is not None and duration < limits.min_duration_s:
        reasons.append(f"{duration:.3g} s run (under {limits.min_duration_s:g} s)")
    completed = record.get("samples_completed")
    if completed is not None and completed < limits.min_samples:
        reasons.append(f"{completed} samples (under {limits.min_samples})")
    return reasons


def _measurement_rungs_missed(record: t.Mapping[str, t.Any]) -> list[str]:
    """Relaxed settings and cross-query reuse change what a number measures; the dataset, model
    and accuracy rungs say whether it is MLPerf's, not whether it is representative."""
    reasons = []
    for rung in effective_rungs(record):
        if rung.get("passed") is not False:
            continue
        if rung["rung"] == "settings":
            profile = (record.get("run_info") or {}).get("profile")
            reasons.append("quick profile: settings are not MLPerf-compliant" if profile == "quick"
                           else f"settings are not MLPerf-compliant ({rung.get('reason')})")
        elif rung["rung"] == "engine":
            reasons.append(f"engine not as the rules allow ({rung.get('reason')})")
    return reasons
