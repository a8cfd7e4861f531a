"""Issue 13's reproducers for the LoadGen readers: every one gives a record that is not final
and a problem naming the file, the line and the cause, quickly, and never an exception.

The folders are real LoadGen runs made in this session (tests/pytest_plugins/loadgen_fixtures.py),
damaged in tmp_path one value at a time.
"""
from __future__ import annotations

import json
import shutil
import time

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir, problem_lines
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.result_task import run_loadgen_result
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.summary import parse_summary

DETAIL = "mlperf_log_detail.txt"
SUMMARY = "mlperf_log_summary.txt"


def _set_value(folder, key, raw_json: str) -> int:
    """Give `key` the JSON text `raw_json` in the detail log; its line number."""
    path = folder / DETAIL
    lines = path.read_text().splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        if line.startswith(":::MLLOG ") and json.loads(line[9:])["key"] == key:
            record = json.loads(line[9:])
            record["value"] = "@VALUE@"
            lines[number - 1] = ":::MLLOG " + json.dumps(record).replace('"@VALUE@"', raw_json) + "\n"
            path.write_text("".join(lines))
            return number
    raise AssertionError(f"{key} not in the detail log")


def _drop(folder, name, needle) -> None:
    path = folder / name
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True) if needle not in line))


def _append(folder, name, text) -> None:
    with open(folder / name, "a", encoding="utf-8") as handle:
        handle.write(text)


def _messages(record, file=DETAIL):
    return [(p["line"], p["message"]) for p in record.problems if p["file"] == file]


def assert_not_final(record):
    assert record.status != "complete" and not record.is_final and record.valid is None


def test_the_untouched_run_is_final(offline_run):
    record = parse_result_dir(str(offline_run))
    assert record.is_final and record.problems == []


@pytest.mark.parametrize("line", [
    ':::MLLOG {"key":"a","value":1,"metadata":[1]}',
    ':::MLLOG {"key":["a"],"value":1}',
    ':::MLLOG {"key":5,"value":1}',
])
def test_a_record_of_the_wrong_shape_is_a_problem_on_its_line(offline_run, line):
    lines = (offline_run / DETAIL).read_text().count("\n")
    _append(offline_run, DETAIL, line + "\n")
    record = parse_result_dir(str(offline_run))
    assert_not_final(record)
    [(number, message)] = _messages(record)
    assert number == lines + 1 and "':::MLLOG' record's" in message


@pytest.mark.parametrize("key", ["effective_test_mode", "effective_scenario"])
def test_a_list_where_text_belongs_is_named_not_unhashable(offline_run, key):
    number = _set_value(offline_run, key, '["x"]')
    outcome = run_loadgen_result(str(offline_run), None, 0, True)
    assert "unhashable" not in outcome.failure
    assert f"{key} is ['x'], expected text" in outcome.failure or any(
        f"{key} is ['x'], expected text" in line and f"line {number}" in line for line in outcome.warnings)


def test_a_query_count_given_as_a_string_is_a_problem(offline_run):
    number = _set_value(offline_run, "result_query_count", '"1"')
    record = parse_result_dir(str(offline_run))
    assert_not_final(record)
    assert (number, "result_query_count is '1', expected a whole number of queries or samples") in _messages(record)
    assert record.samples_issued is None


def test_a_string_query_count_times_a_huge_per_query_builds_nothing(offline_run):
    _set_value(offline_run, "result_query_count", '"A"')
    _set_value(offline_run, "generated_samples_per_query", str(10 ** 12))
    started = time.process_time()
    record = parse_result_dir(str(offline_run))
    assert time.process_time() - started < 1
    assert_not_final(record)
    assert record.samples_issued is None


def test_a_400_digit_throughput_is_a_problem_not_an_overflow(offline_run):
    number = _set_value(offline_run, "result_samples_per_second", "9" * 400)
    record = parse_result_dir(str(offline_run))
    assert_not_final(record)
    assert any(line == number and "result_samples_per_second is 999" in message for line, message in _messages(record))
    json.dumps(record.to_dict())


@pytest.mark.parametrize("raw, shown", [('"fast"', "'fast'"), ("NaN", "nan"), ("Infinity", "inf")])
def test_a_headline_that_is_not_a_number_is_a_problem(offline_run, raw, shown):
    number = _set_value(offline_run, "result_tokens_per_second", raw)
    record = parse_result_dir(str(offline_run))
    assert_not_final(record)
    assert (number, f"result_tokens_per_second is {shown}, expected a finite number") in _messages(record)


@pytest.mark.parametrize("raw", ["-5", "0"])
def test_a_headline_that_is_not_positive_is_a_problem(offline_run, raw):
    number = _set_value(offline_run, "result_tokens_per_second", raw)
    record = parse_result_dir(str(offline_run))
    assert_not_final(record)
    assert (number, f"headline tokens_per_second is {raw}: not a positive number") in _messages(record)


def test_a_missing_query_count_leaves_the_run_not_final(offline_run):
    _drop(offline_run, DETAIL, '"result_query_count"')
    record = parse_result_dir(str(offline_run))
    assert_not_final(record)
    assert any(m.startswith("no result_query_count") for _n, m in _messages(record))


@pytest.mark.parametrize("raw", [None, '"yesterday"'])
def test_a_missing_or_garbled_power_end_leaves_the_run_not_final(offline_run, raw):
    if raw is None:
        _drop(offline_run, DETAIL, '"power_end"')
    else:
        _set_value(offline_run, "power_end", raw)
    record = parse_result_dir(str(offline_run))
    assert_not_final(record)
    assert record.duration_s is None
    assert any("no readable power_begin and power_end" in m for _n, m in _messages(record))


def test_a_token_run_without_its_tokens_line_is_not_final(offline_run):
    _drop(offline_run, DETAIL, '"result_tokens_per_second"')
    _drop(offline_run, SUMMARY, "Tokens per second")
    record = parse_result_dir(str(offline_run))
    assert_not_final(record)
    assert any("token-based run" in m for _n, m in _messages(record))


def test_a_loadgen_error_event_makes_the_run_invalid(offline_run):
    _append(offline_run, DETAIL, ':::MLLOG {"key": "error_runtime", "value": "boom", "metadata": {"is_error": true}}\n')
    record = parse_result_dir(str(offline_run))
    assert record.errors == ["error_runtime: boom"]
    assert record.valid is False
    assert {"check": "loadgen_errors", "message": "LoadGen logged errors: error_runtime: boom"} in record.invalid_reasons


@pytest.mark.parametrize("text, cause", [
    ("accuracy=nan%, good=1, total=2\n", "score 'accuracy' is nan: not a possible score"),
    ("{'rouge1': 1e999, 'gen_num': 5}\n", "score 'rouge1' is inf: not a possible score"),
    ("accuracy=-3, total=2\n", "score 'accuracy' is -3: not a possible score"),
    ("{'rouge1': 'abc', 'gen_num': 5}\n", "score 'rouge1' is 'abc', not a number"),
    ("{'rouge1': {1, 2}}\n", "score 'rouge1' is a set, not a number"),
])
def test_an_impossible_score_is_a_problem_not_a_score(loadgen_runs, tmp_path, text, cause):
    accuracy_run = tmp_path / "accuracy"
    shutil.copytree(loadgen_runs["offline_accuracy"], accuracy_run)
    (accuracy_run / "accuracy.txt").write_text(text)
    record = parse_result_dir(str(accuracy_run))
    assert record.status != "complete" and not record.is_final
    assert [p["message"] for p in record.problems if p["file"] == "accuracy.txt"] == [cause]
    json.dumps(record.to_dict())


@pytest.mark.parametrize("text, cause", [
    ("accuracy=nan%, good=1, total=2\n", "score 'accuracy' is nan: not a possible score"),
    ("{'rouge1': 'abc', 'gen_num': 5}\n", "score 'rouge1' is 'abc', not a number"),
])
def test_an_impossible_score_beside_a_performance_run_is_a_warning_and_no_score(offline_run, text, cause):
    (offline_run / "accuracy.txt").write_text(text)
    record = parse_result_dir(str(offline_run))
    assert record.is_final and record.valid is True and record.accuracy is None
    assert f"accuracy.txt: {cause}; not used" in record.warnings


@pytest.mark.parametrize("name, line", [
    (SUMMARY, "x" + " " * 50000 + "y"),
    ("accuracy.txt", "=" + "a" * 100000),
    (DETAIL, ":::MLLOG " + " " * 100000),
])
def test_a_long_line_costs_little_and_is_named(offline_run, name, line):
    _append(offline_run, name, line + "\n")
    started = time.process_time()
    record = parse_result_dir(str(offline_run))
    assert time.process_time() - started < 1
    if name == "accuracy.txt":  # beside a performance run: a warning on that file, the run stands
        assert record.is_final and any(w.startswith("accuracy.txt: line 1 is 100001 characters long") for w in record.warnings)
        return
    assert not record.is_final
    assert any(name in text for text in problem_lines(record))


def test_summary_labels_and_counts_of_any_shape_are_read_without_error():
    summary = parse_summary("1.2.3th percentile latency (ns) : 5\n" + "9" * 5000 + " ERRORS encountered\n")
    assert summary.results == {} and not summary.finished
    assert summary.problems == [(2, "error count is a 5000-digit number: garbage")]


def test_every_summary_line_is_linear_in_its_length():
    started = time.process_time()
    parse_summary(("x" + " " * 15000 + "y\n") * 20)
    assert time.process_time() - started < 1
