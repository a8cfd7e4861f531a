# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the results callback prints: one line per finished run, one table at the end."""
from __future__ import annotations

import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import (
    validity_label,
    withheld_reason,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.format import number
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import RecordLike, as_record

_COLUMNS = ("host", "scenario", "mode", "#", "result", "metric", "completed/issued", "duration s")


def cells(record: RecordLike) -> list[str]:
    typed = as_record(record)
    headline = typed.headline if typed.finished else None
    metric = f"{headline['name']} {number(headline['value'])} {headline['unit']}" if headline else "n/a"
    counts = f"{typed.samples_completed}/{typed.samples_issued}" if typed.finished else "n/a"
    return [
        str(typed.host),
        str(typed.label),
        str(typed.mode),
        "" if typed.repeat is None else str(typed.repeat),
        validity_label(typed) if typed.finished else f"{str(typed.status).upper()}: {withheld_reason(typed)}",
        metric,
        counts,
        number(typed.duration_s) if typed.finished else "n/a",
    ]


def record_line(record: RecordLike) -> str:
    values = dict(zip(_COLUMNS, cells(record)))
    return (f"fleetbench: {values['host']} | {values['scenario']} {values['mode']}"
            f"{' #' + values['#'] if values['#'] else ''} | {values['result']} | {values['metric']}"
            f" | samples {values['completed/issued']}")


def summary_table(records: t.Iterable[RecordLike]) -> str:
    rows = [list(_COLUMNS)] + [cells(r) for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
