"""Starting, watching and stopping a detached run with real processes (no harness needed)."""
from __future__ import annotations

import json
import os
import time

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.harness import process as hp


def wait_finished(output: str, limit_s: float = 20) -> dict:
    deadline = time.monotonic() + limit_s
    while True:
        state = hp.poll(output, wait_s=1)
        if state["finished"] or time.monotonic() > deadline:
            return state


def test_exit_code_of_the_command_is_kept(tmp_path):
    output = str(tmp_path / "run")
    hp.start(["/bin/sh", "-c", "echo cause-of-failure >&2; exit 3"], output)
    state = wait_finished(output)
    assert state["finished"] and state["exit_code"] == 3
    assert "cause-of-failure" in state["stderr_tail"]


def test_a_command_killed_by_sigkill_reports_128_plus_9(tmp_path):
    output = str(tmp_path / "run")
    hp.start(["/bin/sh", "-c", "kill -9 $$"], output)
    assert wait_finished(output)["exit_code"] == 137


def test_poll_reads_the_status_file_and_lists_output_files(tmp_path):
    output = str(tmp_path / "run")
    status = json.dumps({"phase": "done", "samples_completed": 4})
    hp.start(["/bin/sh", "-c", f"printf '%s' '{status}' > fleetbench_status.json; echo log > harness.log"], output)
    state = wait_finished(output)
    assert state["status"] == {"phase": "done", "samples_completed": 4}
    assert state["files"] == ["fleetbench_status.json", "harness.log"]
    assert state["log_tail"] == "log\n"


def test_stop_ends_the_whole_process_group(tmp_path):
    output = str(tmp_path / "run")
    started = hp.start(["/bin/sh", "-c", "sleep 60 & sleep 60"], output)
    assert not hp.poll(output, wait_s=0.5)["finished"]
    assert hp.stop(output, grace_s=5)["stopped"] is True
    state = hp.poll(output)
    assert state["finished"] and state["exit_code"] is None
    assert live_members(started["pgid"]) == []


def live_members(pgid: int) -> list[int]:
    """Processes of the group that still run (pytest itself started the leader, so it lingers
    as a zombie until reaped)."""
    members = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(pid))
    return members


def test_a_second_start_over_a_live_run_is_refused(tmp_path):
    output = str(tmp_path / "run")
    hp.start(["/bin/sh", "-c", "sleep 30"], output)
    try:
        with pytest.raises(hp.HarnessProcessError, match="still going"):
            hp.start(["/bin/sh", "-c", "true"], output)
    finally:
        hp.stop(output, grace_s=2)


def test_a_new_start_clears_what_an_earlier_attempt_left(tmp_path):
    output = tmp_path / "run"
    hp.start(["/bin/sh", "-c", "echo old > stale.txt; exit 1"], str(output))
    wait_finished(str(output))
    hp.start(["/bin/sh", "-c", "exit 0"], str(output))
    assert wait_finished(str(output))["exit_code"] == 0
    assert not (output / "stale.txt").exists()


def test_an_output_folder_that_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(hp.HarnessProcessError) as raised:
        hp.start(["/bin/true"], str(blocker / "run"))
    assert "cannot prepare" in str(raised.value) and "\n" not in str(raised.value)


def test_poll_without_a_start_says_so(tmp_path):
    with pytest.raises(hp.HarnessProcessError, match="no run was started"):
        hp.poll(str(tmp_path / "never"))


@pytest.mark.parametrize("output", ["runs/r1/Offline", "/srv/runs/../../etc", "/etc", "/"])
def test_a_run_folder_that_could_empty_the_wrong_place_is_refused_in_one_line(tmp_path, output):
    with pytest.raises(hp.HarnessProcessError, match=r"^refusing to empty .*: the run folder must be an absolute path"):
        hp.start(["/bin/true"], output)


def test_a_run_id_that_climbs_out_leaves_the_folder_beside_it_untouched(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "precious").write_text("x")
    with pytest.raises(hp.HarnessProcessError):
        hp.start(["/bin/true"], str(tmp_path / "runs" / ".." / "keep"))
    assert (keep / "precious").read_text() == "x"
