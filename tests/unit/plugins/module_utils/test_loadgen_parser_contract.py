"""The collection's side of the harness contract: files valid under docs/contract/*.schema.json
are read as the contract says (the harness tests its side against the same schemas)."""
from __future__ import annotations

import datetime
import json
import shutil

import jsonschema
import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen_parser import parse_result_dir
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import record_dict_errors

SERVER = "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Server"
NOW = datetime.datetime(2026, 11, 22, 6, 0, 0, tzinfo=datetime.timezone.utc)
SHA = "0" * 64


@pytest.fixture(scope="module")
def schemas(repo_root):
    folder = repo_root / "docs" / "contract"
    return {name: json.loads((folder / f"{name}.schema.json").read_text()) for name in ("status", "run", "accuracy")}


@pytest.fixture
def run_dir(corpus_dir, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(corpus_dir / "loadgen" / SERVER, target)
    return target


@pytest.fixture
def write_contract_file(schemas, run_dir):
    """Write one harness file into run_dir after checking it is valid under its schema."""

    def write(kind: str, document: dict) -> None:
        jsonschema.validate(document, schemas[kind])
        (run_dir / f"fleetbench_{kind}.json").write_text(json.dumps(document))

    return write


def status(phase: str, updated_at: datetime.datetime = NOW, **changes) -> dict:
    document = {
        "phase": phase, "samples_issued": 601560, "samples_completed": 601560, "tokens_generated": 77000000,
        "elapsed_s": 612.5, "tokens_per_second": 128540.9, "pid": 4242,
        "updated_at": updated_at.isoformat().replace("+00:00", "Z"),
    }
    if phase == "failed":
        document.update(exit_code=3, error="engine died: EngineDeadError")
    document.update(changes)
    return document


RUN = {
    "harness_version": "0.1.0", "scenario": "Interactive", "loadgen_scenario": "Server",
    "model_key": "llama3_1-8b-interactive", "mode": "performance", "profile": "quick", "compliant": False,
    "loadgen_overrides": {"min_duration_ms": "1000"},
    "loadgen_settings": {"min_duration_ms": 1000, "min_query_count": 100, "performance_sample_count_override": 64,
                         "ttft_latency": 500000000, "tpot_latency": 30000000, "use_token_latencies": True},
    "engine_args": {"dtype": "bfloat16"}, "max_output_tokens": 128,
    "engine_effective": {"max_num_seqs": 256, "max_num_batched_tokens": 4096, "max_model_len": 2048,
                         "dtype": "bfloat16", "tensor_parallel_size": 1, "data_parallel_size": 1},
    "model": {"path": "/opt/model", "sha256": SHA}, "dataset": {"path": "/opt/cnn.json", "sha256": SHA, "samples": 64},
    "fingerprint": {"hostname": "gpu-01", "cpu_model": "Xeon", "cpu_count": 2, "cpu_quota": None, "memory_gib": 24.0,
                    "python": "3.11.7", "vllm": "0.32.0", "torch": "2.13.0+cpu", "loadgen": "6.0.17",
                    "transformers": "4.57.0", "device": "cpu"},
}

ACCURACY = {
    "rouge1": 38.9, "rouge2": 16.0, "rougeL": 24.6, "rougeLsum": 35.9, "gen_len": 8200000, "gen_num": 13368,
    "targets": {"rouge1": 38.39, "rouge2": 15.75, "rougeL": 24.25, "rougeLsum": 35.44,
                "gen_len": {"min": 7350879, "max": 8984408}, "gen_num": 13368},
    "passed": True, "scorer": {"library": "rouge-score", "version": "0.1.2", "use_stemmer": True,
                               "sentence_splitter": "nltk"},
}


def test_phase_done_with_finished_logs_is_complete(run_dir, write_contract_file):
    write_contract_file("status", status("done"))
    record = parse_result_dir(str(run_dir), stale_after_s=300, now=NOW)
    assert record.status == "complete" and record.is_final
    assert record.extra["fleetbench_status"]["tokens_per_second"] == 128540.9


@pytest.mark.parametrize("phase", ["starting", "loading_model", "loading_dataset", "warmup", "running", "scoring"])
def test_phases_in_progress_are_running_never_complete(run_dir, write_contract_file, phase):
    write_contract_file("status", status(phase, updated_at=NOW - datetime.timedelta(seconds=5)))
    record = parse_result_dir(str(run_dir), stale_after_s=300, now=NOW)
    assert record.status == "running" and record.valid is None and not record.is_final


def test_phase_failed_is_failed_with_the_harness_error(run_dir, write_contract_file):
    write_contract_file("status", status("failed"))
    record = parse_result_dir(str(run_dir))
    assert record.status == "failed"
    assert "harness failed: engine died: EngineDeadError" in record.errors


def test_status_left_in_progress_by_a_dead_harness_is_partial(run_dir, write_contract_file):
    write_contract_file("status", status("running", updated_at=NOW - datetime.timedelta(minutes=20),
                                         samples_issued=10, samples_completed=5))
    (run_dir / "mlperf_log_summary.txt").unlink()
    (run_dir / "mlperf_log_detail.txt").write_text("")
    record = parse_result_dir(str(run_dir), stale_after_s=300, now=NOW)
    assert record.status == "partial"
    assert record.problems[-1] == {
        "file": "fleetbench_status.json", "line": None,
        "message": "phase 'running' last updated 1200 s ago (more than 300 s): the harness stopped without finishing",
    }
    assert record.lost_samples == 5


def test_staleness_is_not_judged_without_a_limit(run_dir, write_contract_file):
    write_contract_file("status", status("running", updated_at=NOW - datetime.timedelta(days=3)))
    assert parse_result_dir(str(run_dir), now=NOW).status == "running"


def test_run_file_gives_label_benchmark_and_compliance(run_dir, write_contract_file):
    write_contract_file("run", RUN)
    record = parse_result_dir(str(run_dir))
    assert (record.scenario, record.scenario_label) == ("Server", "Interactive")
    assert record.benchmark == "llama3_1-8b-interactive"
    assert record.compliant is False
    assert record.run_info == RUN


def test_accuracy_file_is_the_record_accuracy(run_dir, write_contract_file):
    write_contract_file("accuracy", ACCURACY)
    assert parse_result_dir(str(run_dir)).accuracy == ACCURACY


def test_record_with_every_harness_file_is_a_valid_record(run_dir, write_contract_file):
    write_contract_file("status", status("done"))
    write_contract_file("run", RUN)
    write_contract_file("accuracy", ACCURACY)
    data = json.loads(json.dumps(parse_result_dir(str(run_dir)).to_dict()))
    assert record_dict_errors(data) == []
