"""Bad input: corrupted copies of real corpus logs, built in tmp_path, pin down the messages.

Every case must give a record (or, for an unusable folder, LoadGenDirError) whose problem
names the file and, where it applies, the line; never a traceback, and never a record that
passes for final.
"""
from __future__ import annotations

import json
import random
import shutil

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import (
    LoadGenDirError,
    parse_result_dir,
    problem_lines,
)

SERVER = "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Server"
OFFLINE = "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Offline"
ACCURACY = "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Offline_ACCURACY_MODE"
DETAIL = "mlperf_log_detail.txt"
SUMMARY = "mlperf_log_summary.txt"


@pytest.fixture
def copy_run(corpus_dir, tmp_path):
    """Copy a corpus folder into tmp_path so a test may damage it."""

    def copy(folder: str = SERVER):
        target = tmp_path / folder
        shutil.copytree(corpus_dir / "loadgen" / folder, target)
        for path in target.iterdir():
            path.chmod(0o644)
        return target

    return copy


def _problems(record, file=None):
    return [p for p in record.problems if file is None or p["file"] == file]


def _lines(path):
    return path.read_text().splitlines(keepends=True)


def _line_number(path, key):
    return next(n for n, line in enumerate(_lines(path), 1) if f'"key": "{key}"' in line)


def assert_not_final(record):
    assert record.status != "complete"
    assert record.valid is None
    assert not record.is_final


def test_missing_folder_is_one_line_error(tmp_path):
    with pytest.raises(LoadGenDirError, match=r"^.*/nope: no such directory$"):
        parse_result_dir(str(tmp_path / "nope"))


def test_a_file_instead_of_a_folder_is_refused(tmp_path):
    (tmp_path / "log").write_text("x")
    with pytest.raises(LoadGenDirError, match="not a directory"):
        parse_result_dir(str(tmp_path / "log"))


def test_a_folder_without_loadgen_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(LoadGenDirError, match=f"no LoadGen output here \\(neither {SUMMARY}, {DETAIL}"):
        parse_result_dir(str(tmp_path))


def test_truncated_detail_log_names_the_cut_line_and_keeps_summary_numbers(copy_run):
    run = copy_run()
    data = (run / DETAIL).read_bytes()
    (run / DETAIL).write_bytes(data[: int(len(data) * 0.6)])
    last_line = len((run / DETAIL).read_text().splitlines())
    record = parse_result_dir(str(run))
    assert_not_final(record)
    assert record.status == "partial"
    messages = {p["line"]: p["message"] for p in _problems(record, DETAIL)}
    assert "cut off mid-line" in messages[last_line]
    assert any("before LoadGen logged a result" in m for m in messages.values())
    # What could be read is kept: the summary still gives the throughput.
    assert record.samples_per_second == pytest.approx(996.53)


def test_garbled_json_line_is_reported_with_its_number(copy_run):
    run = copy_run()
    lines = _lines(run / DETAIL)
    bad = _line_number(run / DETAIL, "result_min_latency_ns")
    lines[bad - 1] = lines[bad - 1].replace('"value": ', '"value" ', 1)
    (run / DETAIL).write_text("".join(lines))
    record = parse_result_dir(str(run))
    assert_not_final(record)
    [problem] = _problems(record)
    assert problem["file"] == DETAIL and problem["line"] == bad
    assert "not valid JSON" in problem["message"]
    assert f"{DETAIL} line {bad}: " in problem_lines(record)[0]
    # The summary fills the one value the damaged line held.
    assert record.latency_ns["min"] == 798490868


def test_binary_garbage_lines_are_reported(copy_run):
    run = copy_run()
    lines = _lines(run / DETAIL)
    lines.insert(10, "\x00\x13\x87garbage without a prefix\n")
    (run / DETAIL).write_text("".join(lines))
    record = parse_result_dir(str(run))
    [problem] = _problems(record)
    assert problem["line"] == 11
    assert "not ':::MLLOG' records" in problem["message"]
    assert record.status == "partial"


def test_many_bad_lines_are_counted_not_listed_one_by_one(copy_run):
    run = copy_run()
    lines = _lines(run / DETAIL)
    for index in range(20, 40):
        lines[index] = ":::MLLOG {broken\n"
    (run / DETAIL).write_text("".join(lines))
    record = parse_result_dir(str(run))
    detail_problems = _problems(record, DETAIL)
    assert len(detail_problems) == 6
    assert detail_problems[-1]["message"] == "20 unreadable :::MLLOG lines in all"


def test_missing_summary_is_a_problem_but_detail_numbers_stay(copy_run):
    run = copy_run()
    (run / SUMMARY).unlink()
    record = parse_result_dir(str(run))
    assert [(p["file"], p["message"].split(":")[0]) for p in record.problems] == [(SUMMARY, "missing")]
    assert record.status == "partial"
    assert record.tokens_per_second == 128541


def test_missing_detail_falls_back_to_the_summary(copy_run):
    run = copy_run()
    (run / DETAIL).unlink()
    record = parse_result_dir(str(run))
    assert [p["file"] for p in record.problems] == [DETAIL]
    assert "missing" in record.problems[0]["message"]
    assert record.scenario == "Server" and record.mode == "performance"
    assert record.samples_per_second == pytest.approx(996.53)
    assert record.tokens_per_second == pytest.approx(128540.95)
    assert record.ttft_ns["p99"] == 1749395239
    assert record.tpot_ns["p99"] == 42112172
    assert record.settings["target_qps"] == 1000
    assert record.status == "partial"


def test_summary_only_run_reports_error_counts_it_cannot_explain(copy_run):
    run = copy_run("Lenovo_v5.1_SR680a_V3_B200SXMx8_TRT_llama2-70b-99.9_Server_ranging_INVALID")
    (run / DETAIL).unlink()
    summary = (run / SUMMARY).read_text().replace("No errors encountered during test.", "2 ERRORS encountered. See detailed log.")
    (run / SUMMARY).write_text(summary)
    record = parse_result_dir(str(run))
    assert record.errors == [f"LoadGen reported 2 error(s); their text is only in the missing {DETAIL}"]
    assert {r["check"] for r in record.invalid_reasons} >= {"early_stopping", "performance_constraints"}


@pytest.mark.parametrize("name", [DETAIL, SUMMARY])
def test_empty_file_is_named(copy_run, name):
    run = copy_run()
    (run / name).write_text("")
    record = parse_result_dir(str(run))
    assert {"file": name, "line": None, "message": "file is empty"} in record.problems
    assert_not_final(record)


def test_summary_contradicting_detail_names_key_and_line(copy_run):
    run = copy_run()
    summary = (run / SUMMARY).read_text()
    (run / SUMMARY).write_text(summary.replace("Completed samples per second    : 996.53", "Completed samples per second    : 1996.53"))
    record = parse_result_dir(str(run))
    [problem] = record.problems
    assert problem["file"] == SUMMARY and problem["line"] == 7
    assert problem["message"] == (
        f"contradicts {DETAIL}: result_completed_samples_per_sec is 1996.53 in the summary but 996.526 in the detail log"
    )
    assert_not_final(record)
    assert record.samples_per_second == 996.526  # the detail log wins


def test_summary_from_another_scenario_is_caught(copy_run, corpus_dir):
    run = copy_run()
    shutil.copy(corpus_dir / "loadgen" / OFFLINE / SUMMARY, run / SUMMARY)
    record = parse_result_dir(str(run))
    messages = " | ".join(p["message"] for p in record.problems)
    assert "effective_scenario is 'Offline' in the summary but 'Server' in the detail log" in messages


def test_log_cut_off_mid_run_at_a_line_boundary(copy_run):
    run = copy_run()
    lines = _lines(run / DETAIL)
    stop = _line_number(run / DETAIL, "result_validity") - 1
    (run / DETAIL).write_text("".join(lines[:stop]))
    (run / SUMMARY).unlink()
    record = parse_result_dir(str(run))
    assert_not_final(record)
    messages = [p["message"] for p in record.problems]
    assert f"ends at line {stop} before LoadGen logged a result: run cut off mid-run (or file truncated)" in messages
    assert record.scenario == "Server" and record.settings["target_qps"] == 1000
    assert record.samples_per_second is None and record.samples_issued is None


def test_truncated_accuracy_log_in_accuracy_mode(copy_run):
    run = copy_run(ACCURACY)
    data = (run / "mlperf_log_accuracy.json").read_bytes()
    (run / "mlperf_log_accuracy.json").write_bytes(data[: len(data) // 2])
    record = parse_result_dir(str(run))
    [problem] = record.problems
    assert problem["file"] == "mlperf_log_accuracy.json"
    assert "does not end with ']'" in problem["message"]


def test_accuracy_txt_without_scores_in_an_accuracy_run(copy_run):
    run = copy_run(ACCURACY)
    (run / "accuracy.txt").write_text("Loading dataset...\nKilled\n")
    record = parse_result_dir(str(run))
    assert record.problems[0]["file"] == "accuracy.txt"
    assert "no accuracy scores found" in record.problems[0]["message"]


@pytest.mark.parametrize("text", [
    "hash=5f528980df1ddc4dd57fdc02012958f4e6bf37f3d91e3d5cce227b5a75eff56b\n",  # a compliance test's folder
    "Loading dataset...\nKilled\n",
])
def test_an_accuracy_txt_beside_a_performance_run_never_erases_loadgens_verdict(copy_run, text):
    run = copy_run()
    before = parse_result_dir(str(run))
    (run / "accuracy.txt").write_text(text)
    record = parse_result_dir(str(run))
    assert (record.status, record.valid, record.tokens_per_second) == (before.status, before.valid, before.tokens_per_second)
    assert record.is_final and record.accuracy is None and not record.problems
    assert any(w.startswith("accuracy.txt: ") and "no accuracy scores found" in w for w in record.warnings), record.warnings


def test_another_benchmarks_scores_beside_a_performance_run_are_kept_as_they_are(copy_run):
    run = copy_run()
    (run / "accuracy.txt").write_text("{'FID_SCORE': 23.01, 'CLIP_SCORE': 31.75}\nhash=abc\n")
    record = parse_result_dir(str(run))
    assert record.is_final and record.accuracy == {"FID_SCORE": 23.01, "CLIP_SCORE": 31.75, "hash": "abc"}


@pytest.mark.parametrize("seed", range(12))
def test_random_damage_never_raises(copy_run, seed):
    """Cut, splice or overwrite bytes anywhere: the parser reports, it does not crash."""
    run = copy_run()
    rng = random.Random(seed)
    for name in (DETAIL, SUMMARY):
        data = bytearray((run / name).read_bytes())
        at = rng.randrange(len(data))
        action = seed % 3
        if action == 0:
            data = data[:at]
        elif action == 1:
            data[at:at + 40] = bytes(rng.randrange(256) for _ in range(40))
        else:
            data = data[:at] + data[at + rng.randrange(1, 400):]
        (run / name).write_bytes(bytes(data))
    record = parse_result_dir(str(run))
    json.dumps(record.to_dict())
    assert record.problems or record.is_final


# The harness's own files (docs/contract/README.md).

def _write_json(path, data):
    path.write_text(json.dumps(data))


def test_status_not_done_means_running_and_missing_logs_are_no_problem(tmp_path):
    _write_json(tmp_path / "fleetbench_status.json", {"phase": "loading_model", "samples_issued": 0, "samples_completed": 0})
    record = parse_result_dir(str(tmp_path))
    assert record.status == "running" and record.problems == [] and not record.is_final


def test_status_running_beside_a_finished_loadgen_is_still_not_complete(copy_run):
    run = copy_run()
    _write_json(run / "fleetbench_status.json", {"phase": "scoring"})
    record = parse_result_dir(str(run))
    assert record.status == "running" and record.valid is None


def test_failed_harness_keeps_partial_numbers_and_counts_lost_samples(copy_run):
    run = copy_run()
    lines = _lines(run / DETAIL)
    (run / DETAIL).write_text("".join(lines[:_line_number(run / DETAIL, "effective_scenario") + 5]))
    (run / SUMMARY).unlink()
    _write_json(run / "fleetbench_status.json", {
        "phase": "failed", "samples_issued": 10, "samples_completed": 5, "exit_code": 3,
        "error": "engine died: EngineDeadError",
    })
    record = parse_result_dir(str(run))
    assert record.status == "failed"
    assert record.lost_samples == 5
    assert "harness failed: engine died: EngineDeadError" in record.errors
    assert "5 of 10 issued samples never completed (5 did)" in record.errors
    assert record.scenario == "Server"


def test_status_done_with_complete_logs_is_complete(copy_run):
    run = copy_run()
    _write_json(run / "fleetbench_status.json", {"phase": "done", "samples_issued": 601560, "samples_completed": 601560})
    record = parse_result_dir(str(run))
    assert record.status == "complete" and record.is_final and record.valid is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "expected a JSON object, found list"),
        ("", "file is empty"),
        ('{"phase": "sleeping"}', "'phase' is 'sleeping', expected one of starting"),
    ],
)
def test_broken_status_file_is_a_problem(copy_run, content, message):
    run = copy_run()
    (run / "fleetbench_status.json").write_text(content)
    record = parse_result_dir(str(run))
    [problem] = record.problems
    assert problem["file"] == "fleetbench_status.json" and message in problem["message"]
    assert record.status == "partial"


def test_run_file_sets_compliance_label_and_benchmark(copy_run):
    run = copy_run()
    _write_json(run / "fleetbench_run.json", {
        "scenario": "Interactive", "loadgen_scenario": "Server", "model_key": "llama3_1-8b-interactive",
        "mode": "performance", "profile": "quick", "compliant": False,
    })
    record = parse_result_dir(str(run))
    assert record.compliant is False
    assert record.scenario_label == "Interactive" and record.scenario == "Server"
    assert record.benchmark == "llama3_1-8b-interactive"
    assert record.run_info["profile"] == "quick"
    assert parse_result_dir(str(run), benchmark="override").benchmark == "override"


def test_lowered_min_duration_is_not_compliant_without_a_run_file(copy_run):
    run = copy_run()
    detail = (run / DETAIL).read_text().replace('"effective_min_duration_ms", "value": 600000', '"effective_min_duration_ms", "value": 1000')
    (run / DETAIL).write_text(detail)
    summary = (run / SUMMARY).read_text().replace("min_duration (ms): 600000", "min_duration (ms): 1000")
    (run / SUMMARY).write_text(summary)
    assert parse_result_dir(str(run)).compliant is False


def test_harness_accuracy_file_wins_over_accuracy_txt(copy_run):
    run = copy_run()
    scores = {"rouge1": 38.9, "rouge2": 16.0, "rougeL": 24.6, "rougeLsum": 35.9, "gen_len": 8200000,
              "gen_num": 13368, "passed": True}
    _write_json(run / "fleetbench_accuracy.json", scores)
    assert parse_result_dir(str(run)).accuracy == scores


def test_pathologically_nested_json_is_a_problem_not_a_crash(copy_run):
    run = copy_run()
    lines = _lines(run / DETAIL)
    lines.insert(5, ":::MLLOG " + "[" * 100000 + "\n")
    (run / DETAIL).write_text("".join(lines))
    (run / "fleetbench_status.json").write_text("[" * 100000)
    (run / "accuracy.txt").write_text("{" * 100000 + "\n")
    record = parse_result_dir(str(run))
    messages = {(p["file"], p["line"]): p["message"] for p in record.problems}
    assert "nests too deeply" in messages[(DETAIL, 6)]
    assert "not valid JSON" in messages[("fleetbench_status.json", None)]
    assert any(w.startswith("accuracy.txt: ") and "no accuracy scores found" in w for w in record.warnings), record.warnings
