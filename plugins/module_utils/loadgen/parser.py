# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read one LoadGen output folder into a ResultRecord.

Sources, most trusted first: the detail log (stable keys), the summary (fills gaps, and is
checked against the detail log), the harness's status/run/accuracy files, and the reference
accuracy.txt. Anything unreadable or inconsistent becomes a `problem` naming the file and
line, and a record with problems is never `complete`: partial numbers are kept, never passed
off as final.
"""
from __future__ import annotations

import datetime
import math
import os
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen import fields
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.folder_links import link_outside
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.harness_files import (
    ACCURACY_FILE,
    RUN_FILE,
    STATUS_FILE,
    read_json_object,
    status_age_s,
    status_problem,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.accuracy import (
    ACCURACY_LOG,
    ACCURACY_TXT,
    count_accuracy_log_entries,
    read_accuracy_txt,
    score_problems,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.detail_log import (
    DETAIL_LOG,
    DetailLog,
    read_detail_log,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.summary import (
    SUMMARY_LOG,
    SummaryLog,
    read_summary,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.mlperf_compliance import compliant, record_compliance
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import MODES, SCENARIOS, ResultRecord
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.server_search_file import SERVER_SEARCH_FILE, search_problem
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.telemetry_summary import (
    TELEMETRY_FILE,
    TelemetryError,
    add_energy_per_token,
    summarise,
)

KNOWN_FILES = (SUMMARY_LOG, DETAIL_LOG, ACCURACY_LOG, ACCURACY_TXT, STATUS_FILE, RUN_FILE, ACCURACY_FILE, TELEMETRY_FILE,
               SERVER_SEARCH_FILE)
OFFICIAL_MIN_DURATION_MS = 600000
# Summary values are rounded for print (996.53 vs the detail log's 996.526, 3.52 vs 3.52189).
_ABSOLUTE_TOLERANCE = 0.006
_RELATIVE_TOLERANCE = 1e-5
_PERFORMANCE_KEY = "result_validity"
# Where each headline comes from, most trusted first (the keys loadgen_fields reads).
_HEADLINE_KEYS = {
    "tokens_per_second": ("result_completed_tokens_per_second", "result_tokens_per_second",
                          "result_token_throughput_with_loadgen_overhead"),
    "samples_per_second": ("result_completed_samples_per_sec", "result_samples_per_second",
                           "result_qps_with_loadgen_overhead"),
    "p90_latency": ("result_90.00_percentile_latency_ns",),
    "p99_latency": ("result_99.00_percentile_per_query_latency_ns", "result_99.00_percentile_latency_ns"),
}


class LoadGenDirError(Exception):
    """The folder cannot be read at all; the message is one line naming it."""


def parse_result_dir(
    path: str,
    benchmark: str | None = None,
    stale_after_s: float | None = None,
    now: datetime.datetime | None = None,
) -> ResultRecord:
    """The result record for one LoadGen output folder (raises LoadGenDirError if unusable).

    A harness status file still in progress but not rewritten for `stale_after_s` seconds
    (the harness refreshes it every second) means the harness died: the record is `partial`.
    """
    if not os.path.exists(path):
        raise LoadGenDirError(f"{path}: no such directory")
    if not os.path.isdir(path):
        raise LoadGenDirError(f"{path}: not a directory (expected a LoadGen output folder)")
    links = {name: target for name in KNOWN_FILES if (target := link_outside(path, name))}
    present = sorted(name for name in KNOWN_FILES if name not in links and os.path.isfile(os.path.join(path, name)))
    if not {SUMMARY_LOG, DETAIL_LOG, STATUS_FILE} & set(present):
        refused = "".join(f"; {name} refused: a link to {target}, outside the folder" for name, target in links.items())
        raise LoadGenDirError(
            f"{path}: no LoadGen output here (neither {SUMMARY_LOG}, {DETAIL_LOG} nor {STATUS_FILE}){refused}"
        )
    record = ResultRecord(source={"dir": path, "files": present})
    for name, target in links.items():
        record.add_problem(name, f"refused: a symbolic link to {target}, outside the result folder")
    reader = _FolderReader(path, present, record)
    status, run_info = reader.harness_state()
    expect_finished = (status or {}).get("phase") in (None, "done")
    detail, summary = reader.loadgen_logs(expect_finished)
    values = _merge(detail, summary, record)
    keys = fields.KeyReader(values)
    finished = _loadgen_finished(keys, detail, summary, record, expect_finished)
    _fill_from_loadgen(record, keys, detail, summary)
    _fill_from_harness(record, status, run_info, benchmark)
    record.telemetry = reader.telemetry(record)
    record.accuracy = reader.accuracy()
    record.server_search = reader.server_search()
    entries = reader.accuracy_log_entries(expect_finished and record.mode == "accuracy")
    if entries is not None:
        record.extra["accuracy_log_entries"] = entries
    if expect_finished:
        reader.require_logs(detail, summary)
    _set_sample_counts(record, keys, finished)
    where = _Locator(detail, summary)
    if finished and expect_finished:
        _check_final_numbers(record, keys, where)
    for key, message in keys.problems:
        _add(record, where(key), message)
    _set_status(record, status, keys, finished)
    if record.status == "running" and stale_after_s is not None:
        _check_stale(record, status, stale_after_s, now or datetime.datetime.now(datetime.timezone.utc))
    _check_lost_samples(record)
    _check_latency_signs(record)
    return record


def problem_lines(record: ResultRecord) -> list[str]:
    """Each problem as one line: '<dir>/<file> line N: message'."""
    folder = record.source.get("dir", "")
    lines = []
    for problem in record.problems:
        where = os.path.join(folder, problem["file"]) if problem.get("file") else folder
        at = f" line {problem['line']}" if problem.get("line") else ""
        lines.append(f"{where}{at}: {problem['message']}")
    return lines


class _FolderReader:
    """Reads each file of the folder once, turning read failures into record problems."""

    def __init__(self, path: str, present: list[str], record: ResultRecord):
        self.path = path
        self.present = present
        self.record = record

    def _read(self, name: str, reader: t.Callable[[str], t.Any]) -> t.Any:
        if name not in self.present:
            return None
        try:
            return reader(os.path.join(self.path, name))
        except OSError as exc:
            self.record.add_problem(name, f"cannot read: {exc.strerror or exc}")
            return None

    def _json(self, name: str) -> dict[str, t.Any] | None:
        data, problem = self._read(name, read_json_object) or (None, None)
        if problem:
            self.record.add_problem(name, problem)
        return data

    def telemetry(self, record: ResultRecord) -> dict[str, t.Any] | None:
        """The summary of telemetry.json; a file that cannot be read is a warning, not a
        problem: the run's numbers do not depend on it."""
        data, problem = self._read(TELEMETRY_FILE, read_json_object) or (None, None)
        if data is None:
            if problem:
                record.warnings.append(f"{TELEMETRY_FILE}: {problem}")
            return None
        try:
            summary = summarise(data)
        except TelemetryError as exc:
            record.warnings.append(f"{TELEMETRY_FILE}: {exc}")
            return None
        add_energy_per_token(summary, record.tokens_per_second, record.duration_s)
        return summary

    def server_search(self) -> dict[str, t.Any] | None:
        """The capacity search behind this Server run; a file that cannot be used is a warning:
        the confirm run's own numbers do not depend on it."""
        data, problem = self._read(SERVER_SEARCH_FILE, read_json_object) or (None, None)
        problem = problem or (search_problem(data) if data is not None else None)
        if problem:
            self.record.warnings.append(f"{SERVER_SEARCH_FILE}: {problem}; not used")
            return None
        return data

    def harness_state(self) -> tuple[dict[str, t.Any] | None, dict[str, t.Any] | None]:
        status = self._json(STATUS_FILE)
        if status is not None and (problem := status_problem(status)):
            self.record.add_problem(STATUS_FILE, problem)
            status = None
        return status, self._json(RUN_FILE)

    def loadgen_logs(self, expect_finished: bool) -> tuple[DetailLog | None, SummaryLog | None]:
        """Both logs. While the harness still runs, LoadGen has an empty summary open and is
        writing the detail log's last line: only damage before that line is a problem."""
        detail = self._read(DETAIL_LOG, read_detail_log)
        summary = self._read(SUMMARY_LOG, read_summary)
        for line, message in detail.problems if detail else ():
            if expect_finished or (line is not None and line < detail.lines):
                self.record.add_problem(DETAIL_LOG, message, line)
        for line, message in summary.problems if summary and expect_finished else ():
            self.record.add_problem(SUMMARY_LOG, message, line)
        return detail, summary

    def accuracy(self) -> dict[str, t.Any] | None:
        scores = self._json(ACCURACY_FILE)
        if scores is not None:
            for problem in score_problems(scores):
                self.record.add_problem(ACCURACY_FILE, problem)
            return scores
        scores, problem = self._read(ACCURACY_TXT, read_accuracy_txt) or (None, None)
        if not problem:
            return scores
        if self.record.mode == "accuracy":  # the scores are this run's result
            self.record.add_problem(ACCURACY_TXT, problem)
            return scores
        # Beside a performance run the file is an accessory (a submission's copy of the accuracy
        # scores, a compliance test's hash line, another benchmark's output): what it lacks is a
        # warning on that file, and it never overrides LoadGen's own verdict or throughput.
        self.record.warnings.append(f"{ACCURACY_TXT}: {problem}; not used")
        return None

    def accuracy_log_entries(self, must_be_whole: bool) -> int | None:
        entries, problem = self._read(ACCURACY_LOG, count_accuracy_log_entries) or (None, None)
        if problem and must_be_whole:
            self.record.add_problem(ACCURACY_LOG, problem)
        return entries

    def require_logs(self, detail: DetailLog | None, summary: SummaryLog | None) -> None:
        if detail is None and DETAIL_LOG not in self.present:
            self.record.add_problem(DETAIL_LOG, "missing: LoadGen's key/value log, the primary source (values below come from the summary)")
        if summary is None and SUMMARY_LOG not in self.present:
            self.record.add_problem(SUMMARY_LOG, "missing: LoadGen writes it when the test ends")


class _Locator:
    """(file, line) a LoadGen key was read from: the detail log first, then the summary."""

    def __init__(self, detail: DetailLog | None, summary: SummaryLog | None):
        self.detail = detail
        self.summary = summary

    def __call__(self, *keys: str) -> tuple[str, int | None]:
        for key in keys:
            if self.detail is not None and key in self.detail.key_lines:
                return DETAIL_LOG, self.detail.key_lines[key]
            if self.summary is not None and key in self.summary.lines:
                return SUMMARY_LOG, self.summary.lines[key]
        return (DETAIL_LOG if self.detail is not None else SUMMARY_LOG), None


def _agree(detail_value: t.Any, summary_value: t.Any) -> bool:
    if isinstance(detail_value, bool) or isinstance(summary_value, bool):
        return detail_value == summary_value
    if fields.is_number(detail_value) and fields.is_number(summary_value):
        bound = max(_ABSOLUTE_TOLERANCE, _RELATIVE_TOLERANCE * max(abs(detail_value), abs(summary_value)))
        return math.isclose(detail_value, summary_value, abs_tol=bound)
    if isinstance(detail_value, (int, float)) and isinstance(summary_value, (int, float)):
        return detail_value == summary_value  # NaN, infinite or absurdly large: no tolerance applies
    return fields.shown(detail_value).strip("'\"") == fields.shown(summary_value).strip("'\"")


def _merge(detail: DetailLog | None, summary: SummaryLog | None, record: ResultRecord) -> dict[str, t.Any]:
    """Detail-log values, with summary values for keys the detail log lacks.

    Where both have a key they must agree (within print rounding): a summary from another
    run beside this detail log makes every number suspect.
    """
    values = dict(detail.values) if detail else {}
    if summary is None:
        return values
    for key, value in summary.results.items():
        if key not in values:
            values[key] = value
        elif not _agree(values[key], value):
            record.add_problem(
                SUMMARY_LOG,
                f"contradicts {DETAIL_LOG}: {key} is {fields.shown(value)} in the summary but {fields.shown(values[key])} in the detail log",
                summary.lines.get(key),
            )
    for key, items in summary.blocks.items():
        if key not in values and items:
            values[key] = items if key == "result_invalid_reason" else " * ".join(items)
    return values


def _loadgen_finished(
    keys: fields.KeyReader,
    detail: DetailLog | None,
    summary: SummaryLog | None,
    record: ResultRecord,
    expect_finished: bool,
) -> bool:
    """Whether LoadGen got to its end; if it should have and did not, say where it stopped."""
    accuracy = fields.mode_name(keys.values.get("effective_test_mode")) == "accuracy"
    if detail is not None:
        marker = "power_end" if accuracy else _PERFORMANCE_KEY
        finished = marker in detail.values
        if not finished and expect_finished and detail.lines:
            what = "the end of the test" if accuracy else "a result"
            record.add_problem(
                DETAIL_LOG,
                f"ends at line {detail.lines} before LoadGen logged {what}: run cut off mid-run (or file truncated)",
            )
        return finished
    if summary is None:
        return False
    return summary.finished and (accuracy or _PERFORMANCE_KEY in summary.results)


def _fill_from_loadgen(
    record: ResultRecord, keys: fields.KeyReader, detail: DetailLog | None, summary: SummaryLog | None
) -> None:
    record.scenario = _one_of(keys, "effective_scenario", keys.text("effective_scenario"), SCENARIOS)
    record.mode = _one_of(keys, "effective_test_mode", fields.mode_name(keys.text("effective_test_mode")), MODES)
    record.sut_name = keys.text("sut_name")
    record.test_datetime = keys.text("test_datetime")
    for name, value in fields.latencies(keys, record.scenario).items():
        setattr(record, name, value)
    for name, value in fields.throughput(keys, record.scenario).items():
        setattr(record, name, value)
    record.settings = fields.settings(keys, summary.settings if summary else {})
    record.invalid_reasons = fields.invalid_reasons(keys, _recommendations(keys, detail))
    record.loadgen = fields.loadgen_build(keys)
    record.duration_s = fields.duration_s(keys)
    record.extra.update(fields.bulky_summaries(keys))
    if detail is not None:
        record.errors.extend(detail.errors)
        record.warnings.extend(detail.warnings)
    elif summary is not None:
        _counts_without_text(record, summary)
    keys.get(_PERFORMANCE_KEY)  # mapped to `valid` by _set_status, once the status is known
    unused = keys.unused()
    repeated = detail.repeated if detail else {}
    record.extra.update({key: repeated.get(key, value) for key, value in unused.items()})


def _one_of(keys: fields.KeyReader, key: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None or value in allowed:
        return value
    keys.wrong(key, value, f"one of {', '.join(allowed)}")
    return None


def _recommendations(keys: fields.KeyReader, detail: DetailLog | None) -> list[t.Any]:
    """LoadGen logs one `result_invalid_reason` per piece of advice; a summary lists them under
    'Recommendations:'."""
    value = keys.get("result_invalid_reason")
    if detail is not None and "result_invalid_reason" in detail.values:
        return detail.all_values("result_invalid_reason")
    return value if isinstance(value, list) else [value] if value else []


def _counts_without_text(record: ResultRecord, summary: SummaryLog) -> None:
    if summary.error_count:
        record.errors.append(f"LoadGen reported {summary.error_count} error(s); their text is only in the missing {DETAIL_LOG}")
    if summary.warning_count:
        record.warnings.append(f"LoadGen reported {summary.warning_count} warning(s); their text is only in the missing {DETAIL_LOG}")


def _fill_from_harness(
    record: ResultRecord,
    status: dict[str, t.Any] | None,
    run_info: dict[str, t.Any] | None,
    benchmark: str | None,
) -> None:
    record.run_info = run_info
    if status is not None:
        record.extra["fleetbench_status"] = status
    run_info = run_info or {}
    record.benchmark = benchmark or _text(run_info.get("model_key"))
    record.scenario_label = _text(run_info.get("scenario")) or record.scenario
    record.compliance = record_compliance(run_info, record.settings, record.mode)
    record.compliant = compliant(record.compliance["rungs"])
    warnings = run_info.get("warnings")
    if isinstance(warnings, list):
        record.warnings.extend(w for w in warnings if isinstance(w, str))
    if status:
        for name in ("samples_issued", "samples_completed"):
            if getattr(record, name) is None and isinstance(status.get(name), int):
                setattr(record, name, status[name])
        if status.get("phase") == "failed":
            record.errors.append(f"harness failed: {status.get('error') or 'no error text in ' + STATUS_FILE}")


def _text(value: t.Any) -> str | None:
    return value if isinstance(value, str) else None


def _set_sample_counts(record: ResultRecord, keys: fields.KeyReader, finished: bool) -> None:
    issued, completed = fields.sample_counts(keys, finished, record.mode)
    record.samples_issued = issued if issued is not None else record.samples_issued
    record.samples_completed = completed if completed is not None else record.samples_completed


_HEADLINE_EXPECTED = {"SingleStream": "p90 latency", "MultiStream": "p99 latency"}
_PER_QUERY_KEYS = ("generated_samples_per_query", "effective_samples_per_query")


def _check_final_numbers(record: ResultRecord, keys: fields.KeyReader, where: _Locator) -> None:
    """A finished run must carry what LoadGen always writes, as numbers that can be true:
    otherwise a renamed, deleted or garbled line would pass as a final result."""
    _check_counts(record, keys, where)
    if record.mode != "accuracy" and record.scenario is not None:
        _check_headline(record, where)
        _check_tokens(record, where)


def _check_counts(record: ResultRecord, keys: fields.KeyReader, where: _Locator) -> None:
    # The summary has no query counts: without the detail log (itself a problem) they are unknown.
    count_key = fields.query_count_key(record.mode)
    already = {key for key, _message in keys.problems} & {count_key, *_PER_QUERY_KEYS}
    if where.detail is not None and record.samples_issued is None and not already:
        _add(record, where(count_key), f"no {count_key} (or samples per query): LoadGen writes it in every finished run,"
             " so the sample counts are unknown (line missing or renamed?)")
    if where.detail is not None and record.duration_s is None:
        _add(record, where("power_end", "power_begin"), "no readable power_begin and power_end: LoadGen writes both in every"
             " finished run, so the test duration is unknown (line missing, renamed or garbled?)")


def _check_headline(record: ResultRecord, where: _Locator) -> None:
    headline = record.headline
    if headline is None:
        expected = _HEADLINE_EXPECTED.get(record.scenario or "", "tokens or samples per second")
        _add(record, where(), f"no {expected} in the logs: LoadGen writes it in every finished {record.scenario} run"
             " (line missing or renamed?)")
    elif not (fields.is_number(headline["value"]) and headline["value"] > 0):
        _add(record, where(*_HEADLINE_KEYS.get(headline["name"].replace("completed_", ""), ())),
             f"headline {headline['name']} is {fields.shown(headline['value'])}: not a positive number")


def _check_tokens(record: ResultRecord, where: _Locator) -> None:
    token_based = record.settings.get("use_token_latencies") is True or bool(record.ttft_ns)
    if token_based and record.tokens_per_second is None:
        _add(record, where(*_HEADLINE_KEYS["tokens_per_second"]),
             "a token-based run (use_token_latencies) with no tokens-per-second line: line missing or renamed?")


def _add(record: ResultRecord, place: tuple[str, int | None], message: str) -> None:
    record.add_problem(place[0], message, place[1])


def _loadgen_errors_invalidate(record: ResultRecord) -> None:
    """A run in which LoadGen logged errors is not a VALID result, whatever LoadGen's verdict."""
    loadgen_errors = [e for e in record.errors if not e.startswith("harness failed")]
    if record.valid and loadgen_errors:
        record.valid = False
        record.invalid_reasons.append({"check": "loadgen_errors", "message": f"LoadGen logged errors: {loadgen_errors[0]}"})


def _set_status(
    record: ResultRecord, status: dict[str, t.Any] | None, keys: fields.KeyReader, finished: bool
) -> None:
    phase = (status or {}).get("phase")
    if phase == "failed":
        record.status = "failed"
    elif phase not in (None, "done"):
        record.status = "running"
    elif finished and not record.problems and record.scenario and record.mode:
        record.status = "complete"
    else:
        record.status = "partial"
    if record.status == "complete" and record.mode != "accuracy":
        record.valid = keys.values.get(_PERFORMANCE_KEY) == "VALID"
        _loadgen_errors_invalidate(record)


def _check_stale(record: ResultRecord, status: dict[str, t.Any], stale_after_s: float, now: datetime.datetime) -> None:
    age = status_age_s(status, now)
    if age is not None and age > stale_after_s:
        record.status = "partial"
        record.add_problem(
            STATUS_FILE,
            f"phase '{status['phase']}' last updated {age:.0f} s ago (more than {stale_after_s:.0f} s):"
            " the harness stopped without finishing",
        )


def _check_lost_samples(record: ResultRecord) -> None:
    """Samples still in flight are not lost while the run goes on."""
    lost = record.lost_samples
    if lost and record.status != "running":
        record.errors.append(
            f"{lost} of {record.samples_issued} issued samples never completed ({record.samples_completed} did)"
        )


def _check_latency_signs(record: ResultRecord) -> None:
    """LoadGen prints what it computed even when it is nonsense: a response with one token
    gives no time per output token, and LoadGen reports negative TPOT for it."""
    for name in ("latency_ns", "ttft_ns", "tpot_ns"):
        table = getattr(record, name) or {}
        negative = sorted(stat for stat, value in table.items() if isinstance(value, (int, float)) and value < 0)
        if negative:
            record.warnings.append(
                f"{name} has negative values ({', '.join(negative)}): LoadGen could not measure it"
                + (" (responses with fewer than 2 tokens?)" if name == "tpot_ns" else "")
            )
