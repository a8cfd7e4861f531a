"""The result record: round trip, derived properties, validation."""
from __future__ import annotations

import dataclasses
import json
import pathlib
import re

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import (
    ResultRecord,
    ResultRecordError,
    fleet_total,
    validate_record_dict,
)


def _server_record(**changes) -> ResultRecord:
    fields = dict(
        scenario="Server", mode="performance", status="complete", valid=True,
        samples_per_second=996.526, tokens_per_second=128541.0,
        latency_ns={"p50": 4275247856, "p99": 6192651741},
        samples_issued=601560, samples_completed=601560,
    )
    fields.update(changes)
    return ResultRecord(**fields)


def test_round_trip_through_json_keeps_every_field():
    record = _server_record(extra={"result_token_throughput": 3.0e-08}, settings={"target_qps": 1000})
    data = json.loads(json.dumps(record.to_dict()))
    assert ResultRecord.from_dict(data) == record


def test_to_dict_carries_derived_keys():
    data = _server_record().to_dict()
    assert data["headline"] == {"name": "completed_tokens_per_second", "value": 128541.0, "unit": "tokens/s"}
    assert data["lost_samples"] == 0
    assert data["is_final"] is True


def test_unknown_keys_are_kept_under_extra():
    data = _server_record().to_dict()
    data["power_watts"] = 512
    assert ResultRecord.from_dict(data).extra == {"power_watts": 512}


def test_lost_samples_make_a_record_not_final():
    record = _server_record(samples_issued=10, samples_completed=5)
    assert record.lost_samples == 5
    assert not record.is_final


def test_lost_samples_unknown_when_a_count_is_missing():
    assert _server_record(samples_completed=None).lost_samples is None


@pytest.mark.parametrize("status", ["partial", "failed", "running"])
def test_only_complete_records_are_final(status):
    assert not _server_record(status=status).is_final


def test_a_problem_makes_a_record_not_final():
    record = _server_record()
    record.add_problem("mlperf_log_detail.txt", "truncated JSON", line=12)
    assert not record.is_final
    assert record.problems == [{"file": "mlperf_log_detail.txt", "line": 12, "message": "truncated JSON"}]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"scenario": "Offline"}, {"name": "tokens_per_second", "value": 128541.0, "unit": "tokens/s"}),
        ({"scenario": "Offline", "tokens_per_second": None},
         {"name": "samples_per_second", "value": 996.526, "unit": "samples/s"}),
        ({"scenario": "Offline", "tokens_per_second_inferred": True},
         {"name": "samples_per_second", "value": 996.526, "unit": "samples/s"}),
        ({"scenario": "Server", "tokens_per_second": None},
         {"name": "completed_samples_per_second", "value": 996.526, "unit": "samples/s"}),
        ({"scenario": "SingleStream", "latency_ns": {"p90": 35, "p99": 36}},
         {"name": "p90_latency", "value": 35, "unit": "ns"}),
        ({"scenario": "MultiStream", "latency_ns": {"p90": 35, "p99": 36}},
         {"name": "p99_latency", "value": 36, "unit": "ns"}),
        ({"mode": "accuracy"}, None),
        ({"scenario": "SingleStream", "latency_ns": {}}, None),
    ],
)
def test_headline_follows_the_scenario(changes, expected):
    assert _server_record(**changes).headline == expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scenario": "Interactive"}, "'scenario' is 'Interactive'"),
        ({"mode": "PerformanceOnly"}, "'mode' is 'PerformanceOnly'"),
        ({"status": "done"}, "'status' is 'done'"),
        ({"valid": "VALID"}, "'valid' must be true, false or null"),
        ({"samples_per_second": "fast"}, "'samples_per_second' must be a number"),
        ({"samples_issued": 1.5}, "'samples_issued' must be an integer"),
        ({"errors": ["ok", 3]}, "'errors' must be a list of strings"),
        ({"schema_version": 2}, "schema_version 2 is not supported"),
        ({"scenario": None}, "a complete record needs 'scenario'"),
    ],
)
def test_validation_names_the_bad_key(changes, message):
    data = _server_record().to_dict()
    data.update(changes)
    with pytest.raises(ResultRecordError, match="^invalid result record: .*" + message.replace("(", r"\(")):
        ResultRecord.from_dict(data)


def test_validation_rejects_a_non_mapping():
    with pytest.raises(ResultRecordError, match="must be a mapping, got list"):
        validate_record_dict([])


def test_validation_reports_every_reason_on_one_line():
    with pytest.raises(ResultRecordError) as excinfo:
        validate_record_dict({"status": "done", "valid": 1})
    assert "\n" not in str(excinfo.value)
    assert "'status' is 'done'" in str(excinfo.value) and "'valid'" in str(excinfo.value)


def _contract_keys() -> set[str]:
    """The keys docs/contract/result-record.md describes: first-column names of its tables."""
    root = next(p for p in pathlib.Path(__file__).resolve().parents if (p / "galaxy.yml").is_file())
    text = (root / "docs" / "contract" / "result-record.md").read_text(encoding="utf-8")
    keys: set[str] = set()
    for line in text.splitlines():
        cells = line.split("|")
        if line.startswith("| `") and len(cells) > 2:
            keys.update(re.findall(r"`([a-z_]+)`", cells[1]))
    return keys


def test_the_contract_document_describes_every_field_and_nothing_else():
    fields = {f.name for f in dataclasses.fields(ResultRecord)} | set(ResultRecord(status="complete").to_dict())
    assert _contract_keys() == fields


_CONSUMERS = ("plugin_utils/report/*.py", "module_utils/fleet_window.py", "module_utils/harness/benchmark_summary.py",
              "module_utils/loadgen/mlperf_compliance.py")


def test_every_key_a_consumer_reads_from_a_record_is_a_field_of_the_record():
    """A key read as record.get("k") or record["k"] that the dataclass lacks is how fleet_mode
    went undocumented; this fails the moment another one is read."""
    root = next(p for p in pathlib.Path(__file__).resolve().parents if (p / "galaxy.yml").is_file())
    fields = {f.name for f in dataclasses.fields(ResultRecord)} | set(ResultRecord(status="complete").to_dict())
    read: dict[str, set[str]] = {}
    for pattern in _CONSUMERS:
        for path in (root / "plugins").glob(pattern):
            for key in re.findall(r"\brecord(?:\.get\(|\[)\"([a-z_]+)\"", path.read_text(encoding="utf-8")):
                read.setdefault(key, set()).add(path.name)
    assert read, "no consumer found: did the files move?"
    assert {key: sorted(files) for key, files in read.items() if key not in fields} == {}


def test_fleet_mode_is_a_field_and_per_host_by_default():
    assert ResultRecord.from_dict({"status": "partial"}).fleet_mode == "per_host"
    assert ResultRecord.from_dict({**_server_record().to_dict(), "fleet_mode": "fleet"}).fleet_mode == "fleet"
    with pytest.raises(ResultRecordError, match="'fleet_mode' is 'cluster'"):
        ResultRecord.from_dict({**_server_record().to_dict(), "fleet_mode": "cluster"})


def test_a_record_of_another_schema_version_is_refused_in_one_line_even_unvalidated():
    data = {**_server_record().to_dict(), "schema_version": 2}
    with pytest.raises(ResultRecordError) as excinfo:
        ResultRecord.from_dict(data, validate=False)
    assert str(excinfo.value) == ("invalid result record: schema_version 2 is not supported (this code reads 1); "
                                  "read it with the fleetbench.llm release that wrote it")


def test_finished_is_status_complete_even_when_not_final():
    record = _server_record(samples_issued=10, samples_completed=5)
    assert record.finished and not record.is_final
    assert not _server_record(status="running").finished


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"status": "partial"}, "status is partial"),
        ({"samples_issued": 10, "samples_completed": 5}, "5 samples lost"),
        ({"status": "partial", "problems": [{"file": "f", "line": 1, "message": "m"}]},
         "status is partial, 1 problem(s) reading the logs"),
    ],
)
def test_not_final_reason_names_each_cause(changes, reason):
    assert _server_record(**changes).not_final_reason == reason


@pytest.mark.parametrize(
    ("changes", "failure"),
    [
        ({}, None),
        ({"samples_issued": 10, "samples_completed": 5}, None),
        ({"valid": False, "invalid_reasons": [{"check": "min_duration", "message": "too short"},
                                              {"check": "min_queries", "message": "too few"}]},
         {"outcome": "invalid", "cause": "LoadGen INVALID: too short; too few"}),
        ({"valid": False}, {"outcome": "invalid", "cause": "LoadGen INVALID: no reason given"}),
        ({"status": "partial", "valid": None, "problems": [{"file": "f", "line": 3, "message": "cut off"}]},
         {"outcome": "incomplete", "cause": "result partial: cut off"}),
        ({"status": "failed", "valid": None}, {"outcome": "incomplete", "cause": "result failed: LoadGen did not finish"}),
    ],
)
def test_run_failure_says_invalid_or_incomplete(changes, failure):
    assert _server_record(**changes).run_failure == failure


def test_the_fleet_total_adds_throughputs_and_refuses_latencies():
    throughput = [_server_record().headline, _server_record(scenario="Offline", tokens_per_second=1.5).headline]
    assert fleet_total(throughput) == 128541.0 + 1.5
    latency = _server_record(scenario="SingleStream", latency_ns={"p90": 35}).headline
    assert fleet_total([*throughput, latency]) is None
    assert fleet_total([]) is None


def test_the_label_is_the_scenario_asked_for_else_loadgens():
    assert _server_record(scenario_label="Interactive").label == "Interactive"
    assert _server_record().label == "Server"
