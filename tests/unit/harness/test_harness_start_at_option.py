"""The fleet start barrier: --start-at parsing, waiting on the wall clock, the measured window."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

from tests.pytest_plugins.harness import harness_env

import jsonschema
import pytest

from fleetbench_harness.errors import BadInput
from fleetbench_harness.start_barrier import measured_window, parse_start_at, wait_until

NOW = 1_796_650_000.0  # 2026-12-07T13:26:40Z
RUN_SCHEMA = json.loads((pathlib.Path(__file__).parents[3] / "docs/contract/run.schema.json").read_text())


@pytest.mark.parametrize("text", ["1796650060", "1796650060.0", "2026-12-07T13:27:40Z", "2026-12-07T14:27:40+01:00"])
def test_epoch_seconds_and_iso_times_with_a_zone_name_the_same_moment(text):
    assert parse_start_at(text, now=NOW) == NOW + 60


@pytest.mark.parametrize(("text", "says"), [
    ("soon", "not a time"), ("", "not a time"), ("nan", "not a time"), ("-5", "not a time"),
    ("2026-12-07T13:27:40", "no time zone"), (str(int(NOW * 1000)), "at most 24 h ahead"),
])
def test_bad_start_times_are_refused_with_one_line(text, says):
    with pytest.raises(BadInput) as refused:
        parse_start_at(text, now=NOW)
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_a_past_start_time_is_accepted_and_the_wait_reports_how_late():
    assert parse_start_at(str(NOW - 30), now=NOW) == NOW - 30
    assert wait_until(NOW - 2.5, clock=lambda: NOW, sleep=pytest.fail) == 2.5


def test_waiting_sleeps_until_the_time_in_short_steps_and_is_on_time():
    clock = [NOW]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    assert wait_until(NOW + 2, clock=lambda: clock[0], sleep=sleep) == 0.0
    assert clock[0] == NOW + 2 and max(slept) <= 0.5


def test_the_measured_window_matches_the_run_schema():
    record_schema = {**RUN_SCHEMA["properties"]["measured"], "$schema": RUN_SCHEMA["$schema"]}
    for window in (measured_window(NOW, NOW + 61.25, None, None),
                   measured_window(NOW + 1, NOW + 60, NOW, 1.0, [[0.0, 0, 0], [59.0, 10, 1280]])):
        jsonschema.validate(window, record_schema, format_checker=jsonschema.FormatChecker())
    waited = measured_window(NOW, NOW + 61.25, NOW, 0.0)
    assert waited == {"start": "2026-12-07T13:26:40.000+00:00", "end": "2026-12-07T13:27:41.250+00:00",
                      "duration_s": 61.25, "progress": [], "start_at": "2026-12-07T13:26:40.000+00:00", "late_by_s": 0.0}


def test_the_command_line_refuses_a_bad_start_time_in_one_line_before_loading_anything(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "fleetbench_harness", "run", "--scenario", "Offline", "--mode", "performance",
         "--model", str(tmp_path), "--dataset", str(tmp_path / "d.json"), "--output", str(tmp_path / "out"),
         "--start-at", "tomorrow"], capture_output=True, text=True, timeout=120,
        env=harness_env(), check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "fleetbench-harness: --start-at 'tomorrow' is not a time: give UTC epoch seconds or an ISO 8601 time with a zone"]
    assert not (tmp_path / "out").exists()
