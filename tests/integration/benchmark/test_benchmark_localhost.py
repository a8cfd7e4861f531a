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


def _report(localhost_benchmark) -> dict:
    return json.loads((localhost_benchmark.run_dir / "report.json").read_text())


def test_server_targets_a_rate_the_host_holds_and_stays_valid(localhost_benchmark):
    records = {r["scenario_label"]: r for r in localhost_benchmark.records("localhost")}
    offline, server = records["Offline"], records["Server"]
    target = float(server["run_info"]["loadgen_overrides"]["target_qps"])
    assert target == round(offline["samples_per_second"] * 0.5, 2)
    assert server["valid"] is True, server["invalid_reasons"]


def test_server_reads_below_its_offline_in_the_report(localhost_benchmark):
    (check,) = _report(localhost_benchmark)["consistency"]
    assert not check["flagged"] and check["text"].endswith("Server reads below its Offline"), check


def test_prefix_caching_is_off_and_each_server_query_carries_its_own_prompt(localhost_benchmark):
    server = next(r for r in localhost_benchmark.records("localhost") if r["scenario_label"] == "Server")
    assert server["run_info"]["engine_effective"]["enable_prefix_caching"] is False
    assert server["run_info"]["sample_plan"]["issues_per_sample"] == 1
    engine = next(r for r in server["compliance"]["rungs"] if r["rung"] == "engine")
    assert engine["passed"] is True


def test_the_report_header_says_when_the_run_finished(localhost_benchmark):
    assert _report(localhost_benchmark)["run"]["finished_at"]
