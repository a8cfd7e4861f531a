"""Each scenario for real: vLLM CPU, tiny model, LoadGen quick profile, read back by the
collection's own parser, as the loadgen_result module would."""
from __future__ import annotations

import json
import os
import pathlib

import jsonschema
import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

CONTRACT = pathlib.Path(__file__).parents[3] / "docs" / "contract"
PERFORMANCE_RUNS = [("Offline", "llama3_1-8b", "Offline"), ("Server", "llama3_1-8b", "Server"),
                    ("Interactive", "llama3_1-8b-interactive", "Server"),
                    ("SingleStream", "llama3_1-8b", "SingleStream")]


def schema(name: str) -> dict:
    return json.loads((CONTRACT / f"{name}.schema.json").read_text())


def finished(quick_harness_run, scenario: str, mode: str) -> pathlib.Path:
    result, output = quick_harness_run(scenario, mode)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-2000:]}"
    return output


@pytest.mark.parametrize(("scenario", "model_key", "loadgen_scenario"), PERFORMANCE_RUNS)
def test_performance_run_is_valid_complete_and_loses_no_sample(quick_harness_run, scenario, model_key,
                                                               loadgen_scenario):
    output = finished(quick_harness_run, scenario, "performance")
    record = parse_result_dir(str(output))
    assert record.problems == [] and record.errors == []
    assert (record.status, record.valid, record.is_final) == ("complete", True, True)
    assert (record.scenario, record.scenario_label, record.benchmark) == (loadgen_scenario, scenario, model_key)
    assert record.samples_issued == record.samples_completed > 0
    assert record.compliant is False
    status = json.loads((output / "fleetbench_status.json").read_text())
    assert status["phase"] == "done"
    assert status["samples_completed"] == record.samples_completed


@pytest.mark.parametrize("scenario", ["Server", "Interactive", "SingleStream"])
def test_streaming_scenarios_report_first_token_and_per_token_latencies(quick_harness_run, scenario):
    record = parse_result_dir(str(finished(quick_harness_run, scenario, "performance")))
    for latencies in (record.ttft_ns, record.tpot_ns):
        assert latencies and latencies["p99"] > 0
    assert record.ttft_ns["p99"] < record.latency_ns["p99"]


def test_interactive_runs_under_the_interactive_latency_limits(quick_harness_run):
    run_info = json.loads((finished(quick_harness_run, "Interactive", "performance") / "fleetbench_run.json").read_text())
    settings = run_info["loadgen_settings"]
    assert (settings["ttft_latency"], settings["tpot_latency"]) == (500_000_000, 30_000_000)


def test_offline_token_count_matches_what_loadgen_measured(quick_harness_run):
    output = finished(quick_harness_run, "Offline", "performance")
    record = parse_result_dir(str(output))
    status = json.loads((output / "fleetbench_status.json").read_text())
    loadgen_tokens = record.tokens_per_second / record.samples_per_second * record.samples_completed
    assert loadgen_tokens == pytest.approx(status["tokens_generated"], rel=1e-3)


@pytest.mark.parametrize(("scenario", "mode"), [("Offline", "performance"), ("Server", "performance"),
                                                ("Offline", "accuracy")])
def test_harness_files_follow_the_contract(quick_harness_run, scenario, mode):
    output = finished(quick_harness_run, scenario, mode)
    jsonschema.validate(json.loads((output / "fleetbench_status.json").read_text()), schema("status"))
    run_info = json.loads((output / "fleetbench_run.json").read_text())
    jsonschema.validate(run_info, schema("run"))
    assert (run_info["profile"], run_info["compliant"], run_info["fingerprint"]["device"]) == ("quick", False, "cpu")
    assert run_info["loadgen_settings"]["min_duration_ms"] <= 2000
    assert (output / "harness.log").stat().st_size > 0


def test_accuracy_run_is_scored_next_to_the_loadgen_logs(quick_harness_run, tiny_dataset):
    output = finished(quick_harness_run, "Offline", "accuracy")
    scores = json.loads((output / "fleetbench_accuracy.json").read_text())
    jsonschema.validate(scores, schema("accuracy"))
    samples = len(json.loads(tiny_dataset.read_text()))
    assert scores["gen_num"] == samples
    assert scores["passed"] is None  # MLPerf's targets are for the full 13,368-sample set only
    record = parse_result_dir(str(output))
    assert (record.status, record.mode) == ("complete", "accuracy")
    assert record.accuracy["rouge1"] == scores["rouge1"]


def test_accuracy_log_holds_int32_ids_with_exact_token_counts(quick_harness_run):
    output = finished(quick_harness_run, "Offline", "accuracy")
    entries = json.loads((output / "mlperf_log_accuracy.json").read_text())
    status = json.loads((output / "fleetbench_status.json").read_text())
    assert len({entry["qsl_idx"] for entry in entries}) == len(entries) == status["samples_completed"]
    for entry in entries:
        assert entry["token_count"] == len(bytes.fromhex(entry["data"])) // 4 >= 2
    assert sum(entry["token_count"] for entry in entries) == status["tokens_generated"]


def test_score_command_reproduces_the_run_scores(quick_harness_run, harness_python, tiny_dataset):
    from tests.pytest_plugins.harness import run_harness

    output = finished(quick_harness_run, "Offline", "accuracy")
    written = json.loads((output / "fleetbench_accuracy.json").read_text())
    result = run_harness(harness_python, "score", "--output", output, "--dataset", tiny_dataset)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == written


def test_offline_with_one_engine_per_device_runs_two_engines_and_loses_nothing(harness_python, tiny_model,
                                                                               tiny_dataset, tmp_path):
    from tests.pytest_plugins.harness import QUICK_TEST_ARGS, run_harness

    result = run_harness(harness_python, "run", "--scenario", "Offline", "--mode", "performance", "--model", tiny_model,
                         "--dataset", tiny_dataset, "--output", tmp_path, *QUICK_TEST_ARGS,
                         "--engine-arg", "data_parallel_size=2")
    assert result.returncode == 0, result.stderr[-2000:]
    record = parse_result_dir(str(tmp_path))
    assert (record.status, record.valid) == ("complete", True)
    assert record.samples_issued == record.samples_completed > 0
    log = (tmp_path / "harness.log").read_text()
    assert "EngineCore_DP0" in log and "EngineCore_DP1" in log
    assert json.loads((tmp_path / "fleetbench_run.json").read_text())["engine_args"]["data_parallel_size"] == 2


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="vLLM reserves a CPU for its scheduler only with two or more")
@pytest.mark.parametrize("scenario", ["Offline", "Server"])
def test_the_harness_and_engine_core_ran_off_the_workers_cpus(quick_harness_run, scenario):
    placement = json.loads((finished(quick_harness_run, scenario, "performance") / "fleetbench_run.json").read_text())[
        "cpu_placement"]
    assert placement is not None, "vLLM's CPU build binds its worker: the rest should have been moved"
    assert placement["worker_cpus"] and placement["harness_cpus"]
    assert not set(placement["worker_cpus"]) & set(placement["harness_cpus"])
    assert set(placement["worker_cpus"]) | set(placement["harness_cpus"]) <= os.sched_getaffinity(0)
    assert placement["threads_moved"] >= 2  # at least the harness's main thread and the engine core's
