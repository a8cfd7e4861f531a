"""Two real harness runs given the same --start-at measure together: each loads and warms up on its
own schedule, waits, and starts LoadGen's test within a second of the agreed time."""
from __future__ import annotations

import datetime
import json
import pathlib
import subprocess
import time

import jsonschema
import pytest

from tests.pytest_plugins.harness import QUICK_TEST_ARGS, harness_env

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

RUN_SCHEMA = json.loads((pathlib.Path(__file__).parents[3] / "docs/contract/run.schema.json").read_text())
# Two engines loading at once on 2 shared cores take up to about a minute; the rest is margin.
LEAD_S = 110


def epoch(iso: str) -> float:
    return datetime.datetime.fromisoformat(iso).timestamp()


def test_two_runs_with_one_start_time_start_measuring_within_a_second_of_it(harness_python, tiny_model, tiny_dataset,
                                                                           tmp_path):
    start_at = int(time.time()) + LEAD_S
    outputs = [tmp_path / f"host{n}" for n in (1, 2)]
    runs = [subprocess.Popen(
        [str(harness_python), "-m", "fleetbench_harness", "run", "--scenario", "Offline", "--mode", "performance",
         "--model", str(tiny_model), "--dataset", str(tiny_dataset), "--output", str(output), *QUICK_TEST_ARGS,
         "--start-at", datetime.datetime.fromtimestamp(start_at, datetime.timezone.utc).isoformat()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness_env()) for output in outputs]
    results = [run.communicate(timeout=LEAD_S + 600) for run in runs]
    for run, (_out, err) in zip(runs, results):
        assert run.returncode == 0, err[-2000:]
    windows = []
    for output, (out, _err) in zip(outputs, results):
        summary = json.loads(out.strip().splitlines()[-1])
        record = json.loads((output / "fleetbench_run.json").read_text())
        jsonschema.validate(record, RUN_SCHEMA, format_checker=jsonschema.FormatChecker())
        measured = record["measured"]
        assert epoch(measured["start_at"]) == start_at and measured["late_by_s"] == 0.0
        assert 0 <= epoch(measured["start"]) - start_at < 1.0, measured
        assert "waiting for the agreed start" in (output / "harness.log").read_text()
        progress = measured["progress"]
        assert progress[0] == [0.0, 0, 0] and progress[-1][0] == pytest.approx(measured["duration_s"], abs=0.1)
        assert 0 < progress[-1][1] <= summary["samples_completed"]
        windows.append((epoch(measured["start"]), epoch(measured["end"])))
        print(f"{output.name}: measured start {epoch(measured['start']) - start_at:+.3f} s from --start-at, "
              f"{measured['duration_s']} s long, {progress[-1][1]} samples")
    overlap = min(end for _start, end in windows) - max(start for start, _end in windows)
    print(f"overlap {overlap:.3f} s of the shortest run {min(end - start for start, end in windows):.3f} s")
    assert overlap > 0.9 * min(end - start for start, end in windows)
