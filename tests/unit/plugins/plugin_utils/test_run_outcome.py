"""The words the controller prints about a run: progress lines and one-line causes."""
from __future__ import annotations

import json

from ansible_collections.fleetbench.llm.plugins.plugin_utils.run_outcome import (
    COST_FILE,
    describe_failure,
    measured_before,
    progress_key,
    progress_line,
    save_progress,
)


def test_progress_line_names_phase_samples_rate_and_time():
    status = {"phase": "running", "samples_issued": 64, "samples_completed": 12,
              "tokens_per_second": 1234.4, "elapsed_s": 41.6}
    assert progress_line(status) == "running, 12/64 samples, 1234 tok/s, 42 s"


def test_progress_line_before_the_status_file_exists():
    assert progress_line(None) == "starting (no status file yet)"


def test_progress_key_ignores_the_clock():
    a = {"phase": "running", "samples_issued": 4, "samples_completed": 1, "elapsed_s": 1}
    assert progress_key(a) == progress_key(dict(a, elapsed_s=9))
    assert progress_key(a) != progress_key(dict(a, samples_completed=2))


def test_harness_error_is_taken_from_the_status_file():
    polled = {"exit_code": 3, "status": {"phase": "failed", "error": "engine died: out of memory"}}
    assert describe_failure("failed", polled, 60) == "harness exit 3 (engine failure): engine died: out of memory"


def test_last_stderr_line_when_the_status_file_has_no_error():
    polled = {"exit_code": 2, "status": None, "stderr_tail": "noise\nfleetbench-harness: dataset missing\n"}
    assert describe_failure("failed", polled, 60) == "harness exit 2 (bad input): fleetbench-harness: dataset missing"


def test_killed_harness_names_the_signal_and_phase():
    polled = {"exit_code": 137, "status": {"phase": "running"}}
    assert describe_failure("failed", polled, 60) == "harness killed by SIGKILL in phase running"


def test_timeout_names_the_limit_and_phase():
    polled = {"exit_code": None, "status": {"phase": "loading_model"}}
    assert describe_failure("timeout", polled, 15) == (
        "timed out after 15 s in phase loading_model; process group stopped")


def test_vanished_process_group():
    assert describe_failure("failed", {"exit_code": None}, 60) == (
        "harness vanished without an exit code in phase unknown")


def test_save_progress_keeps_status_and_tails(tmp_path):
    save_progress(str(tmp_path / "r"), {"status": {"phase": "running"}, "log_tail": "a\n", "stderr_tail": ""})
    assert json.loads((tmp_path / "r" / "fleetbench_status.json").read_text()) == {"phase": "running"}
    assert (tmp_path / "r" / "harness.log.tail").read_text() == "a\n"
    assert not (tmp_path / "r" / "stderr.log.tail").exists()


def test_only_a_run_that_ended_done_counts_as_measured_before(tmp_path):
    assert measured_before(str(tmp_path)) is None
    assert measured_before(None) is None
    cost = tmp_path / COST_FILE
    for outcome in ("timeout", "failed", "uncollected", "lost"):
        cost.write_text(json.dumps({"outcome": outcome, "elapsed_s": 3.0}))
        assert measured_before(str(tmp_path)) is None, outcome
    # Written before the outcome was recorded: measured again rather than trusted.
    cost.write_text(json.dumps({"controller_cpu_s": {}, "elapsed_s": 3.0}))
    assert measured_before(str(tmp_path)) is None
    cost.write_text("{not json")
    assert measured_before(str(tmp_path)) is None
    cost.write_text(json.dumps({"outcome": "done", "elapsed_s": 3.0, "started_at": 1767225600.0}))
    assert measured_before(str(tmp_path)) == {"outcome": "done", "elapsed_s": 3.0, "started_at": 1767225600.0}
