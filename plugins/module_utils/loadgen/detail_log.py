# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read LoadGen's mlperf_log_detail.txt: one `:::MLLOG {json}` record per line.

The detail log is LoadGen's stable interface (its keys survived every 4.x-6.x release while
the summary's wording changed), and it can be 100 MB+ when a SUT makes LoadGen log an error
per sample, so the loop below does one json.loads per line and little else.
"""
from __future__ import annotations

import dataclasses
import json
import typing as t

DETAIL_LOG = "mlperf_log_detail.txt"
MLLOG_PREFIX = ":::MLLOG "
_MAX_BAD_LINES_LISTED = 5
# The longest real record is loaded_qsl_set (one index per sample: about 300 kB for 50,000
# samples); a line far beyond that is garbage, skipped as a problem on its line.
MAX_LINE_CHARS = 16 * 1024 * 1024


@dataclasses.dataclass
class DetailLog:
    """What one detail log says: every key's value, LoadGen's errors and warnings."""

    values: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    key_lines: dict[str, int] = dataclasses.field(default_factory=dict)
    repeated: dict[str, list[t.Any]] = dataclasses.field(default_factory=dict)
    error_events: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    warning_events: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    problems: list[tuple[int | None, str]] = dataclasses.field(default_factory=list)
    records: int = 0
    lines: int = 0

    def all_values(self, key: str) -> list[t.Any]:
        """Every value logged under `key`, in order (LoadGen repeats some keys)."""
        if key in self.repeated:
            return self.repeated[key]
        return [self.values[key]] if key in self.values else []

    @property
    def errors(self) -> list[str]:
        return _event_texts(self.error_events)

    @property
    def warnings(self) -> list[str]:
        return _event_texts(self.warning_events)


def _event_texts(events: dict[tuple[str, str], int]) -> list[str]:
    """A SUT can make LoadGen log the same error once per sample: say it once, with the count."""
    texts = []
    for (key, value), count in events.items():
        text = f"{key}: {value}"
        texts.append(text if count == 1 else f"{text} (logged {count} times)")
    return texts


def read_detail_log(path: str) -> DetailLog:
    """Parse a detail log; unreadable lines become `problems` (line number, message).

    Error and warning records are counted in error_events/warning_events, not kept in
    `values`: a SUT that trips LoadGen on every sample logs one per sample.
    """
    log = DetailLog()
    values = log.values
    key_lines = log.key_lines
    repeated = log.repeated
    loads = json.loads
    dumps = json.dumps
    skip = len(MLLOG_PREFIX)
    bad_json: list[tuple[int, str]] = []
    foreign: list[int] = []
    lineno = 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.startswith(MLLOG_PREFIX):
                if line.strip():
                    foreign.append(lineno)
                continue
            if len(line) > MAX_LINE_CHARS:
                bad_json.append((lineno, f"line is {len(line)} characters long (over {MAX_LINE_CHARS}): garbage, skipped"))
                continue
            try:
                record = loads(line[skip:])
                key = record["key"]
                value = record.get("value")
                meta = record.get("metadata")
            except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
                bad_json.append((lineno, _json_problem(line, exc)))
                continue
            if not isinstance(key, str) or not isinstance(meta, (dict, type(None))):
                bad_json.append((lineno, _shape_problem(key, meta)))
                continue
            if meta and (meta.get("is_error") or meta.get("is_warning")):
                events = log.error_events if meta.get("is_error") else log.warning_events
                event = (key, value if isinstance(value, str) else dumps(value))
                events[event] = events.get(event, 0) + 1
            elif key in values:
                repeated.setdefault(key, [values[key]]).append(value)
            else:
                values[key] = value
                key_lines[key] = lineno
    log.lines = lineno
    log.records = lineno - len(foreign) - len(bad_json)
    log.problems.extend(bad_json[:_MAX_BAD_LINES_LISTED])
    if len(bad_json) > _MAX_BAD_LINES_LISTED:
        log.problems.append((None, f"{len(bad_json)} unreadable :::MLLOG lines in all"))
    if foreign:
        shown = ", ".join(str(n) for n in foreign[:_MAX_BAD_LINES_LISTED])
        more = "" if len(foreign) <= _MAX_BAD_LINES_LISTED else f" and {len(foreign) - _MAX_BAD_LINES_LISTED} more"
        log.problems.append((foreign[0], f"line(s) {shown}{more} are not ':::MLLOG' records (garbage in the log?)"))
    if lineno == 0:
        log.problems.append((None, "file is empty"))
    return log


def _shape_problem(key: t.Any, meta: t.Any) -> str:
    if not isinstance(key, str):
        return f"':::MLLOG' record's 'key' is a {type(key).__name__}, not a string"
    return f"':::MLLOG' record's 'metadata' is a {type(meta).__name__}, not an object"


def _json_problem(line: str, exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return "':::MLLOG' record has no 'key'"
    if isinstance(exc, (TypeError, AttributeError)):
        return "':::MLLOG' record is not a JSON object"
    if isinstance(exc, RecursionError):
        return "':::MLLOG' record nests too deeply to read (garbage?)"
    if not line.endswith("\n"):
        return f"':::MLLOG' record cut off mid-line, file ends here (truncated?): {exc}"
    return f"':::MLLOG' record is not valid JSON: {exc}"
