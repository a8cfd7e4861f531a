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

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.mlperf_compliance import effective_rungs
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import (
    RecordLike,
    ResultRecord,
    as_record,
)

MIN_REPRESENTATIVE_DURATION_S = 60.0
MIN_REPRESENTATIVE_SAMPLES = 100


@dataclasses.dataclass
class Thresholds:
    min_duration_s: float = MIN_REPRESENTATIVE_DURATION_S
    min_samples: int = MIN_REPRESENTATIVE_SAMPLES


def is_tabulated(record: RecordLike) -> bool:
    """Only runs that finished may enter a table; anything else is withheld, never shown."""
    return as_record(record).finished


def withheld_reason(record: RecordLike) -> str:
    typed = as_record(record)
    if typed.status == "running":
        return "still running: numbers withheld until the run finishes"
    if typed.status == "partial":
        return "cut off before LoadGen wrote its result: numbers withheld"
    if typed.status == "failed":
        return "run failed" + _first_error(typed)
    if typed.status == "unreadable":
        return "unreadable result record" + _first_error(typed)
    return f"status {typed.status!r}: numbers withheld"


def _first_error(record: ResultRecord) -> str:
    causes = list(record.errors or []) + [p.get("message", "") for p in record.problems or []]
    return f": {causes[0]}" if causes else ""


def record_errors(record: RecordLike) -> list[str]:
    """What makes a finished record an error rather than a measurement."""
    typed = as_record(record)
    # The record's own errors first: LoadGen's error events and the harness's failure. The
    # parser words lost samples there too ("... never completed"); say them once.
    errors = [str(error) for error in typed.errors or []]
    if typed.lost_samples and not any("never completed" in error for error in errors):
        errors.append(f"{typed.samples_completed} of {typed.samples_issued} samples completed ({typed.lost_samples} lost)")
    errors.extend(f"unreadable result: {p.get('message')}" for p in typed.problems or [])
    return errors


def validity_label(record: RecordLike) -> str:
    typed = as_record(record)
    if record_errors(typed):
        return "ERROR"
    if typed.mode != "performance":
        return "n/a (accuracy run)" if typed.mode == "accuracy" else "n/a"
    return {True: "VALID", False: "INVALID"}.get(typed.valid, "UNKNOWN")


def invalid_reasons(record: RecordLike) -> list[str]:
    return [r.get("message") or r.get("check") or "unspecified" for r in as_record(record).invalid_reasons or []]


def is_measurement(record: RecordLike) -> bool:
    """A result whose headline may enter the fleet statistics: finished, VALID, nothing lost."""
    typed = as_record(record)
    return typed.is_final and typed.mode == "performance" and typed.valid is True and typed.headline is not None


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
