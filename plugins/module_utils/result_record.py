# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The result record: one benchmark result (host x scenario x mode x repeat).

Defined once here and used by the loadgen_result module (which builds it), the results
callback (which collects it) and the report filters (which read it). It travels through
Ansible as a plain JSON-serialisable dict: ResultRecord.from_dict / to_dict convert, and
validate_record_dict checks a dict that came from elsewhere. docs/contract/result-record.md
describes every key.
"""
from __future__ import annotations

import dataclasses
import typing as t

SCHEMA_VERSION = 1

SCENARIOS = ("Offline", "Server", "SingleStream", "MultiStream")
MODES = ("performance", "accuracy", "submission", "find_peak_performance")
STATUSES = ("complete", "partial", "failed", "running")
FLEET_MODES = ("per_host", "fleet")
PERCENTILE_KEYS = ("mean", "min", "max", "p50", "p90", "p95", "p97", "p99", "p99.9")

# LoadGen reports the latency percentile that its scenario is judged on.
_LATENCY_HEADLINE_PERCENTILE = {"SingleStream": "p90", "MultiStream": "p99"}


class ResultRecordError(ValueError):
    """A dict that does not hold a valid result record; the message is one line."""


@dataclasses.dataclass
class ResultRecord:
    """One parsed benchmark result. Field meanings: docs/contract/result-record.md."""

    scenario: str | None = None
    mode: str | None = None
    status: str = "partial"
    schema_version: int = SCHEMA_VERSION
    host: str | None = None
    run_id: str | None = None
    repeat: int | None = None
    benchmark: str | None = None
    scenario_label: str | None = None
    fleet_mode: str = "per_host"
    sut_name: str | None = None
    test_datetime: str | None = None
    valid: bool | None = None
    invalid_reasons: list[dict[str, str]] = dataclasses.field(default_factory=list)
    samples_per_second: float | None = None
    tokens_per_second: float | None = None
    tokens_per_second_inferred: bool = False
    latency_ns: dict[str, float] = dataclasses.field(default_factory=dict)
    ttft_ns: dict[str, float] | None = None
    tpot_ns: dict[str, float] | None = None
    settings: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    compliant: bool | None = None
    compliance: dict[str, t.Any] | None = None
    duration_s: float | None = None
    samples_issued: int | None = None
    samples_completed: int | None = None
    loadgen: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    errors: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    accuracy: dict[str, t.Any] | None = None
    run_info: dict[str, t.Any] | None = None
    telemetry: dict[str, t.Any] | None = None
    server_search: dict[str, t.Any] | None = None
    problems: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    extra: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    source: dict[str, t.Any] = dataclasses.field(default_factory=dict)

    @property
    def lost_samples(self) -> int | None:
        """Samples issued but never completed; None when either count is unknown."""
        if self.samples_issued is None or self.samples_completed is None:
            return None
        return self.samples_issued - self.samples_completed

    @property
    def label(self) -> str | None:
        """The scenario as the user asked for it (`Interactive`), else LoadGen's."""
        return self.scenario_label or self.scenario

    @property
    def finished(self) -> bool:
        """LoadGen finished and wrote its result: the record enters a table, as an error if it is not final."""
        return self.status == "complete"

    @property
    def is_final(self) -> bool:
        """True only for numbers fit for a final table: complete, readable, nothing lost."""
        return self.finished and not self.problems and not self.lost_samples

    @property
    def not_final_reason(self) -> str | None:
        """One line saying why the record is not final; None when it is."""
        if self.is_final:
            return None
        reasons = [] if self.finished else [f"status is {self.status}"]
        if self.lost_samples:
            reasons.append(f"{self.lost_samples} samples lost")
        if self.problems:
            reasons.append(f"{len(self.problems)} problem(s) reading the logs")
        return ", ".join(reasons) or "not final"

    @property
    def run_failure(self) -> dict[str, str] | None:
        """Why the run failed as {outcome, cause}: `invalid` when LoadGen judged it INVALID,
        `incomplete` when LoadGen did not finish; None otherwise. Lost samples and problems in a
        finished record are errors the report shows in its row, not run failures."""
        if self.valid is False:
            reasons = "; ".join(str(r.get("message", "")) for r in self.invalid_reasons)
            return {"outcome": "invalid", "cause": f"LoadGen INVALID: {reasons or 'no reason given'}"}
        if not self.finished:
            problems = "; ".join(str(p.get("message", "")) for p in self.problems)
            return {"outcome": "incomplete", "cause": f"result {self.status}: {problems or 'LoadGen did not finish'}"}
        return None

    @property
    def headline(self) -> dict[str, t.Any] | None:
        """The scenario's metric as {name, value, unit}, or None when not reported."""
        return headline_for(
            self.scenario, self.mode, self.samples_per_second, self.tokens_per_second,
            self.tokens_per_second_inferred, self.latency_ns,
        )

    def add_problem(self, file: str | None, message: str, line: int | None = None) -> None:
        self.problems.append({"file": file, "line": line, "message": message})

    def to_dict(self) -> dict[str, t.Any]:
        """A JSON-serialisable dict, with the derived keys filled in."""
        data = dataclasses.asdict(self)
        data["headline"] = self.headline
        data["lost_samples"] = self.lost_samples
        data["is_final"] = self.is_final
        return data

    @classmethod
    def from_dict(cls, data: t.Mapping[str, t.Any], validate: bool = True) -> ResultRecord:
        """Build a record from to_dict() output; derived keys in `data` are ignored.

        Every consumer turns a dict into a record here, once, at its entry. Keys this schema
        version does not know are kept under `extra` rather than dropped. A record of another
        schema version is refused even without `validate`: its keys may mean something else.
        """
        if isinstance(data, t.Mapping) and data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise ResultRecordError(f"invalid result record: {_version_error(data['schema_version'])}; "
                                    "read it with the fleetbench.llm release that wrote it")
        if validate:
            validate_record_dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        unknown = {k: v for k, v in data.items() if k not in known and k not in _DERIVED_KEYS}
        record = cls(**kwargs)
        if unknown:
            record.extra = {**record.extra, **unknown}
        return record


_DERIVED_KEYS = ("headline", "lost_samples", "is_final")

RecordLike = t.Union[ResultRecord, t.Mapping[str, t.Any]]


def as_record(record: RecordLike) -> ResultRecord:
    """The typed record, for rules that are handed a record or its dict (not validated: the
    caller decided how to treat a malformed one); a record of another schema version raises."""
    return record if isinstance(record, ResultRecord) else ResultRecord.from_dict(record, validate=False)


def _version_error(version: t.Any) -> str:
    return f"schema_version {version!r} is not supported (this code reads {SCHEMA_VERSION})"


def headline_for(
    scenario: str | None,
    mode: str | None,
    samples_per_second: float | None,
    tokens_per_second: float | None,
    tokens_inferred: bool,
    latency_ns: t.Mapping[str, float] | None,
) -> dict[str, t.Any] | None:
    """MLPerf's metric for a scenario: throughput for Offline/Server, a latency otherwise.

    Tokens/s leads only when LoadGen measured tokens; GPT-J style "inferred" token counts
    are a fixed factor times samples, so MLPerf judges those runs on samples/s.
    """
    if mode == "accuracy" or scenario is None:
        return None
    if scenario in _LATENCY_HEADLINE_PERCENTILE:
        key = _LATENCY_HEADLINE_PERCENTILE[scenario]
        value = (latency_ns or {}).get(key)
        return None if value is None else {"name": f"{key}_latency", "value": value, "unit": "ns"}
    prefix = "completed_" if scenario == "Server" else ""
    if tokens_per_second is not None and not tokens_inferred:
        return {"name": f"{prefix}tokens_per_second", "value": tokens_per_second, "unit": "tokens/s"}
    if samples_per_second is not None:
        return {"name": f"{prefix}samples_per_second", "value": samples_per_second, "unit": "samples/s"}
    return None


def is_throughput(headline: t.Mapping[str, t.Any] | None) -> bool:
    """A headline that adds up across hosts: a rate, not a latency."""
    return bool(headline) and t.cast(t.Mapping[str, t.Any], headline).get("unit") != "ns"


def fleet_total(headlines: t.Iterable[t.Mapping[str, t.Any]]) -> float | None:
    """The fleet's throughput: the sum of the hosts' headline values, each host counted once.

    None when there is nothing to add or any headline is a latency: latencies do not add up.
    """
    headlines = list(headlines)
    if not headlines or not all(is_throughput(h) for h in headlines):
        return None
    return sum(float(h["value"]) for h in headlines)


def _is_number(value: t.Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_type(data: t.Mapping[str, t.Any], key: str, check: t.Callable[[t.Any], bool], what: str) -> str | None:
    if key in data and data[key] is not None and not check(data[key]):
        return f"'{key}' must be {what}, got {type(data[key]).__name__} {data[key]!r:.60}"
    return None


_TYPE_RULES: tuple[tuple[str, t.Callable[[t.Any], bool], str], ...] = (
    ("schema_version", lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    ("repeat", lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    ("valid", lambda v: isinstance(v, bool), "true, false or null"),
    ("compliant", lambda v: isinstance(v, bool), "true, false or null"),
    ("samples_per_second", _is_number, "a number"),
    ("tokens_per_second", _is_number, "a number"),
    ("duration_s", _is_number, "a number"),
    ("samples_issued", lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    ("samples_completed", lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    ("latency_ns", lambda v: isinstance(v, dict), "a mapping"),
    ("ttft_ns", lambda v: isinstance(v, dict), "a mapping"),
    ("tpot_ns", lambda v: isinstance(v, dict), "a mapping"),
    ("settings", lambda v: isinstance(v, dict), "a mapping"),
    ("loadgen", lambda v: isinstance(v, dict), "a mapping"),
    ("accuracy", lambda v: isinstance(v, dict), "a mapping"),
    ("run_info", lambda v: isinstance(v, dict), "a mapping"),
    ("telemetry", lambda v: isinstance(v, dict), "a mapping"),
    ("server_search", lambda v: isinstance(v, dict), "a mapping"),
    ("compliance", lambda v: isinstance(v, dict), "a mapping"),
    ("extra", lambda v: isinstance(v, dict), "a mapping"),
    ("source", lambda v: isinstance(v, dict), "a mapping"),
    ("errors", lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v), "a list of strings"),
    ("warnings", lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v), "a list of strings"),
    ("invalid_reasons", lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v), "a list of mappings"),
    ("problems", lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v), "a list of mappings"),
)


def record_dict_errors(data: t.Any) -> list[str]:
    """Every reason `data` is not a valid result record dict (empty list when it is)."""
    if not isinstance(data, t.Mapping):
        return [f"a result record must be a mapping, got {type(data).__name__}"]
    errors = [msg for key, check, what in _TYPE_RULES if (msg := _check_type(data, key, check, what))]
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        errors.append(_version_error(version))
    for key, allowed in (("scenario", SCENARIOS), ("mode", MODES), ("status", STATUSES), ("fleet_mode", FLEET_MODES)):
        value = data.get(key)
        if value is not None and value not in allowed:
            errors.append(f"'{key}' is {value!r}, expected one of {', '.join(allowed)}")
    if data.get("status", "partial") == "complete":
        errors.extend(f"a complete record needs '{key}'" for key in ("scenario", "mode") if not data.get(key))
    if data.get("status") is None:
        errors.append("'status' is required")
    return errors


def validate_record_dict(data: t.Any) -> None:
    """Raise ResultRecordError (one line, every reason) when `data` is not a valid record."""
    errors = record_dict_errors(data)
    if errors:
        raise ResultRecordError("invalid result record: " + "; ".join(errors))
