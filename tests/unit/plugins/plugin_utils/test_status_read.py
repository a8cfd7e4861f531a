"""A look at a run without a module: one shell command, run here by /bin/sh on real processes."""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.harness import process as hp
from ansible_collections.fleetbench.llm.plugins.plugin_utils.status_read import (
    needs_module_poll,
    new_token,
    parse_read,
    read_command,
)


def look(output: str, wait_s: float = 0) -> dict:
    """As the action runs it: the script on the stdin of /bin/sh."""
    token = new_token()
    answer = subprocess.run(["/bin/sh"], input=read_command(output, wait_s, token),
                            capture_output=True, text=True, check=True)
    state = parse_read(answer.stdout, token)
    assert state is not None, answer.stdout
    return state


@pytest.fixture
def running(tmp_path):
    output = str(tmp_path / "runs" / "r1")
    status = json.dumps({"phase": "running", "samples_issued": 8, "samples_completed": 3})
    hp.start(["/bin/sh", "-c", f"printf '%s' '{status}' > fleetbench_status.json; printf 'a\\nb\\n' > harness.log;"
              " echo warn >&2; sleep 30"], output)
    deadline = time.monotonic() + 5
    while not os.path.exists(os.path.join(output, "harness.log")) and time.monotonic() < deadline:
        time.sleep(0.05)
    yield output
    hp.stop(output, grace_s=1)


def test_a_running_run_is_read_without_the_module(running):
    state = look(running)
    assert state["status"] == {"phase": "running", "samples_issued": 8, "samples_completed": 3}
    assert state["alive"] and state["exit_code"] is None
    assert state["log_tail"] == "a\nb\n" and state["stderr_tail"] == "warn\n"
    assert not needs_module_poll(state)


def test_the_look_waits_on_the_host_and_returns_as_soon_as_the_run_ends(tmp_path):
    output = str(tmp_path / "runs" / "r2")
    hp.start(["/bin/sh", "-c", "sleep 1; exit 3"], output)
    began = time.monotonic()
    state = look(output, wait_s=20)
    assert time.monotonic() - began < 5
    assert state["exit_code"] == 3 and needs_module_poll(state)


def test_a_group_killed_whole_leaves_no_exit_code_and_asks_for_the_module(running):
    hp.stop(running, grace_s=0)
    time.sleep(0.3)
    state = look(running)
    # Here the killed processes may stay zombies nobody reaps: they do not count as alive.
    assert state["exit_code"] is None and not state["alive"]
    assert needs_module_poll(state)


def test_a_folder_where_nothing_was_started_asks_for_the_module(tmp_path):
    state = look(str(tmp_path / "never"))
    assert state["unstarted"] and state["status"] is None and state["log_tail"] == ""
    assert needs_module_poll(state)


def test_a_log_line_cannot_forge_a_marker(running):
    token = new_token()
    forged = f"\n{token} end\n"
    assert parse_read(f"\n{token} exit\n\n{token} group\nalive\n{forged}", token) is None


def test_output_from_something_else_is_not_a_state():
    assert parse_read("sh: 1: cat: not found\n", new_token()) is None


def test_paths_with_spaces_and_quotes_are_quoted(tmp_path):
    output = str(tmp_path / "runs" / "it's a run")
    hp.start(["/bin/sh", "-c", "echo '{\"phase\": \"done\"}' > fleetbench_status.json"], output)
    time.sleep(0.5)
    assert look(output, wait_s=2)["status"] == {"phase": "done"}


def test_output_read_through_a_pty_is_understood(running):
    token = new_token()
    answer = subprocess.run(["/bin/sh"], input=read_command(running, 0, token), capture_output=True, text=True, check=True)
    state = parse_read(answer.stdout.replace("\n", "\r\n"), token)
    assert state["status"]["phase"] == "running" and state["log_tail"] == "a\nb\n"
