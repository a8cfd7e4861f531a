"""The README's first command on the embedded default: real vLLM CPU, real LoadGen, real report."""
from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

LOADGEN_LOGS = ("mlperf_log_summary.txt", "mlperf_log_detail.txt", "fleetbench_run.json", "fleetbench_status.json",
                "harness.log")


def test_the_first_command_succeeds(localhost_benchmark):
    assert localhost_benchmark.process.returncode == 0, localhost_benchmark.explain()


@pytest.mark.parametrize("scenario", ["Offline", "Server"])
def test_real_loadgen_logs_land_under_run_host_scenario_mode(localhost_benchmark, scenario):
    folder = localhost_benchmark.run_dir / "localhost" / scenario / "performance"
    missing = [name for name in LOADGEN_LOGS if not (folder / name).is_file()]
    assert not missing, f"{folder} lacks {missing}\n{localhost_benchmark.explain()}"
    assert json.loads((folder / "fleetbench_status.json").read_text())["phase"] == "done"


def test_every_run_is_parsed_into_a_complete_record_with_host_run_and_repeat(localhost_benchmark):
    records = localhost_benchmark.records("localhost")
    assert sorted(r["scenario_label"] for r in records) == ["Offline", "Server"], localhost_benchmark.explain()
    for record in records:
        assert record["status"] == "complete" and record["run_id"] == "localhost-flow" and record["repeat"] == 1
        assert record["valid"] in (True, False)  # LoadGen's verdict, kept either way
        assert record["headline"]["value"] > 0
        assert record["samples_completed"] == record["samples_issued"] > 0
        assert record["compliant"] is False  # quick profile


def test_nothing_failed_and_the_summary_says_so(localhost_benchmark):
    summary = localhost_benchmark.summary
    assert summary["failed_hosts"] == [] and summary["hosts"]["localhost"]["runs_final"] == 2


def test_the_report_and_the_callback_results_sit_beside_the_logs(localhost_benchmark):
    for name in ("results.json", "report.md", "report.html", "report.json"):
        assert (localhost_benchmark.run_dir / name).is_file(), name


def test_progress_lines_were_shown_while_running(localhost_benchmark):
    lines = [line for line in localhost_benchmark.process.stdout.splitlines() if line.startswith("fleetbench [localhost]")]
    assert any("loading_model" in line for line in lines)
    assert any(line.endswith("s") and "done, " in line for line in lines)
