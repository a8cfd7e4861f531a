# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's rows: one per performance run (with its compliance ladder), one per accuracy
run, one per run withheld from the tables and why."""
from __future__ import annotations

import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.mlperf_compliance import accuracy_rung, compliant, effective_rungs, ladder_text
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import (
    Thresholds,
    invalid_reasons,
    record_errors,
    representativeness,
    validity_label,
    withheld_reason,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.records import scenario_label


def run_key(record: t.Mapping[str, t.Any]) -> tuple[t.Any, t.Any, str]:
    return record.get("host"), record.get("run_id"), scenario_label(record)


def accuracy_runs(records: list[dict[str, t.Any]]) -> dict[tuple[t.Any, t.Any, str], list[dict[str, t.Any]]]:
    """Accuracy runs by (host, run id, scenario), found once: a scan per performance run was quadratic in the fleet."""
    found: dict[tuple[t.Any, t.Any, str], list[dict[str, t.Any]]] = {}
    for record in records:
        if record.get("mode") == "accuracy":
            found.setdefault(run_key(record), []).append(record)
    return found


def compliance_ladder(record: t.Mapping[str, t.Any],
                      accuracy_runs: t.Mapping[tuple[t.Any, t.Any, str], list[dict[str, t.Any]]]) -> dict[str, t.Any]:
    """All five rungs for a performance run: rungs 1-4 from its record, rung 5 from the accuracy
    runs of the same run id, host and scenario (`accuracy_runs`, from _accuracy_runs)."""
    rungs = effective_rungs(record)
    rungs.append(accuracy_rung(accuracy_runs.get(run_key(record), [])))
    return {"rungs": rungs, "mlperf_compliant": compliant(rungs) is True, "text": ladder_text(rungs)}


def percentiles(values: t.Mapping[str, t.Any] | None) -> dict[str, t.Any] | None:
    if not values:
        return None
    return {k: values.get(k) for k in ("p50", "p90", "p99")}


def performance_row(record: t.Mapping[str, t.Any], limits: Thresholds, accuracy_runs) -> dict[str, t.Any]:
    headline = record.get("headline") or {}
    return {
        "host": record["host"],
        "scenario": scenario_label(record),
        "repeat": record.get("repeat"),
        "fleet_mode": record.get("fleet_mode", "per_host"),
        "result": validity_label(record),
        "reasons": invalid_reasons(record) + record_errors(record),
        "metric": headline.get("name"),
        "metric_unit": headline.get("unit"),
        "metric_value": headline.get("value"),
        "tokens_per_second": record.get("tokens_per_second"),
        "samples_per_second": record.get("samples_per_second"),
        "ttft_ns": percentiles(record.get("ttft_ns")),
        "tpot_ns": percentiles(record.get("tpot_ns")),
        "latency_ns": record.get("latency_ns") or {},
        "samples_issued": record.get("samples_issued"),
        "samples_completed": record.get("samples_completed"),
        "lost_samples": record["lost_samples"],
        "duration_s": record.get("duration_s"),
        "compliant": record.get("compliant"),
        "compliance": compliance_ladder(record, accuracy_runs),
        "warnings": list(record.get("warnings") or []),
        "not_representative": representativeness(record, limits),
    }


def accuracy_row(record: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    accuracy = record.get("accuracy") or {}
    return {
        "host": record["host"],
        "scenario": scenario_label(record),
        "repeat": record.get("repeat"),
        "scores": {k: accuracy.get(k) for k in ("rouge1", "rouge2", "rougeL", "rougeLsum", "gen_len", "gen_num", "accuracy") if accuracy.get(k) is not None},
        "passed": accuracy.get("passed"),
        "errors": record_errors(record),
    }


def withheld(record: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {
        "host": record["host"],
        "scenario": scenario_label(record),
        "mode": record.get("mode"),
        "repeat": record.get("repeat"),
        "status": record.get("status"),
        "reason": withheld_reason(record),
        "source": (record.get("source") or {}).get("dir"),
    }
