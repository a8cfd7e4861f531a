# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the results callback prints: one line per finished run, one table at the end."""
from __future__ import annotations

import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.report_honesty import (
    is_tabulated,
    validity_label,
    withheld_reason,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.report_format import number
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import headline_for

_COLUMNS = ("host", "scenario", "mode", "#", "result", "metric", "completed/issued", "duration s")


def _headline(record: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
    return record.get("headline") or headline_for(
        record.get("scenario"), record.get("mode"), record.get("samples_per_second"),
        record.get("tokens_per_second"), bool(record.get("tokens_per_second_inferred")), record.get("latency_ns"))


def cells(record: t.Mapping[str, t.Any]) -> list[str]:
    finished = is_tabulated(record)
    headline = _headline(record) if finished else None
    metric = f"{headline['name']} {number(headline['value'])} {headline['unit']}" if headline else "n/a"
    counts = f"{record.get('samples_completed')}/{record.get('samples_issued')}" if finished else "n/a"
    return [
        str(record.get("host")),
        str(record.get("scenario_label") or record.get("scenario")),
        str(record.get("mode")),
        "" if record.get("repeat") is None else str(record["repeat"]),
        validity_label(record) if finished else f"{str(record.get('status')).upper()}: {withheld_reason(record)}",
        metric,
        counts,
        number(record.get("duration_s")) if finished else "n/a",
    ]


def record_line(record: t.Mapping[str, t.Any]) -> str:
    values = dict(zip(_COLUMNS, cells(record)))
    return (f"fleetbench: {values['host']} | {values['scenario']} {values['mode']}"
            f"{' #' + values['#'] if values['#'] else ''} | {values['result']} | {values['metric']}"
            f" | samples {values['completed/issued']}")


def summary_table(records: t.Iterable[t.Mapping[str, t.Any]]) -> str:
    rows = [list(_COLUMNS)] + [cells(r) for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
