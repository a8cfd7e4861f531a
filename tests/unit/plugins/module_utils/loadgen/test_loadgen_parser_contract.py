"""The collection's side of the harness contract: files valid under docs/contract/*.schema.json
are read as the contract says (the harness tests its side against the same schemas)."""
from __future__ import annotations

import datetime
import json
import shutil

import jsonschema
import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir
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


REFERENCE_CONFIG = {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
                    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256}
TINY_CONFIG = {"architectures": ["LlamaForCausalLM"], "hidden_size": 256, "num_hidden_layers": 2, "vocab_size": 512}
RUN = {
    "harness_version": "0.1.0", "scenario": "Interactive", "loadgen_scenario": "Server",
    "model_key": "llama3_1-8b-interactive", "mode": "performance", "profile": "quick", "compliant": False,
    "loadgen_settings_untouched": False,
    "loadgen_overrides": {"min_duration_ms": "1000"},
    "loadgen_settings": {"min_duration_ms": 1000, "min_query_count": 100, "performance_sample_count_override": 64,
                         "ttft_latency": 500000000, "tpot_latency": 30000000, "use_token_latencies": True},
    "engine_args": {"dtype": "bfloat16", "enable_prefix_caching": False}, "max_output_tokens": 128,
    "engine_effective": {"max_num_seqs": 256, "max_num_batched_tokens": 4096, "max_model_len": 2048,
                         "dtype": "bfloat16", "tensor_parallel_size": 1, "data_parallel_size": 1,
                         "enable_prefix_caching": False, "kv_transfer": False, "kv_offloading_size": None},
    "sampling": {"temperature": 0.0, "top_p": 1.0, "top_k": 0, "max_tokens": 128, "min_tokens": 2, "n": 1},
    "sample_plan": {"performance_samples": 64, "expected_queries": 100, "issues_per_sample": 2},
    "warnings": ["dataset too small for distinct prompts: 64 samples for about 100 queries, each prompt issued "
                 "about 2 times (anything that caches across queries would inflate the numbers)"],
    "model": {"path": "/opt/model", "sha256": SHA, "files": {"config.json": SHA}, "config": TINY_CONFIG, "hub": None,
              "declared_derivative": None},
    "dataset": {"path": "/opt/cnn.json", "sha256": SHA, "samples": 64, "inputs_sha256": SHA},
    "fingerprint": {"hostname": "gpu-01", "cpu_model": "Xeon", "cpu_count": 2, "cpu_quota": None, "memory_gib": 24.0,
                    "python": "3.11.7", "vllm": "0.32.0", "torch": "2.13.0+cpu", "loadgen": "6.0.17",
                    "transformers": "4.57.0", "device": "cpu"},
}
REVISION = "be673f326cab4cd22ccfef76109faf68e41aa5f1"
OFFICIAL = {
    **RUN, "scenario": "Server", "model_key": "llama3_1-8b", "profile": "official", "loadgen_settings_untouched": True,
    "loadgen_overrides": {}, "warnings": [],
    "model": {**RUN["model"], "config": REFERENCE_CONFIG, "hub": {"repo": None, "revision": REVISION}},
    "dataset": {**RUN["dataset"], "samples": 13368, "inputs_sha256": "1" * 64},
}


def rungs(record) -> dict:
    return {r["rung"]: (r["passed"], r["reason"]) for r in record.compliance["rungs"]}


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


def test_the_harness_warning_of_repeated_prompts_reaches_the_record(run_dir, write_contract_file):
    write_contract_file("run", RUN)
    assert RUN["warnings"][0] in parse_result_dir(str(run_dir)).warnings


def test_a_quick_run_names_the_settings_as_the_first_rung_missed(run_dir, write_contract_file):
    write_contract_file("run", RUN)
    record = parse_result_dir(str(run_dir))
    assert record.compliance["first_missed"] == {"rung": "settings", "passed": False,
                                                 "reason": "quick profile: shortened runs"}


def test_an_official_run_with_prefix_caching_on_is_not_compliant_and_says_why(run_dir, write_contract_file):
    write_contract_file("run", {**OFFICIAL, "engine_args": {"enable_prefix_caching": True},
                                "engine_effective": {**OFFICIAL["engine_effective"], "enable_prefix_caching": True}})
    record = parse_result_dir(str(run_dir))
    assert record.compliant is False
    assert record.compliance["first_missed"]["rung"] == "engine"
    assert rungs(record)["engine"] == (False, "prefix cache on: prompts reused across queries")
    assert rungs(record)["settings"][0] is True


def test_a_run_record_that_does_not_turn_prefix_caching_off_is_taken_as_vllm_default_on(run_dir, write_contract_file):
    engine_effective = {k: v for k, v in OFFICIAL["engine_effective"].items() if k != "enable_prefix_caching"}
    older = {**OFFICIAL, "engine_args": {}, "engine_effective": engine_effective}
    (run_dir / "fleetbench_run.json").write_text(json.dumps(older))  # before the schema required it
    assert "prefix cache on" in rungs(parse_result_dir(str(run_dir)))["engine"][1]


def test_a_synthetic_set_of_13368_samples_is_not_the_mlperf_dataset(run_dir, write_contract_file):
    write_contract_file("run", OFFICIAL)
    passed, reason = rungs(parse_result_dir(str(run_dir)))["dataset"]
    assert passed is False
    assert reason == "13,368 samples, but not the MLPerf CNN/DailyMail set (inputs digest 111111111111 is not a recorded one)"


def test_the_mlperf_dataset_is_recognised_by_its_recorded_inputs_digest(run_dir, write_contract_file, monkeypatch):
    from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen import mlperf_compliance

    monkeypatch.setitem(mlperf_compliance.MLPERF_DATASET_INPUT_DIGESTS, 13368, frozenset({"1" * 64}))
    write_contract_file("run", OFFICIAL)
    record = parse_result_dir(str(run_dir))
    assert rungs(record)["dataset"][0] is True
    assert rungs(record)["model"] == (True, f"meta-llama/Llama-3.1-8B-Instruct at revision {REVISION[:7]}")
    assert record.compliant is True and record.compliance["first_missed"] is None


def test_a_model_of_another_shape_is_not_the_reference_even_when_declared_a_derivative(run_dir, write_contract_file):
    write_contract_file("run", {**OFFICIAL, "model": {**RUN["model"], "declared_derivative": "FP8"}})
    passed, reason = rungs(parse_result_dir(str(run_dir)))["model"]
    assert passed is False and reason.startswith("not meta-llama/Llama-3.1-8B-Instruct (LlamaForCausalLM, 2 layers")


def test_a_declared_quantized_derivative_of_the_reference_passes_the_model_rung_and_says_so(run_dir, write_contract_file):
    model = {**OFFICIAL["model"], "hub": None, "declared_derivative": "FP8 quantization",
             "config": {**REFERENCE_CONFIG, "quantization_config": {"quant_method": "fp8"}}}
    write_contract_file("run", {**OFFICIAL, "model": model})
    assert rungs(parse_result_dir(str(run_dir)))["model"] == (
        True, "declared derivative of meta-llama/Llama-3.1-8B-Instruct: FP8 quantization")


def test_the_reference_shape_at_another_revision_is_not_the_reference(run_dir, write_contract_file):
    write_contract_file("run", {**OFFICIAL, "model": {**OFFICIAL["model"], "hub": {"repo": None, "revision": "a" * 40}}})
    assert rungs(parse_result_dir(str(run_dir)))["model"][0] is False


def test_sampling_that_is_not_greedy_or_fewer_tokens_fail_the_engine_rung(run_dir, write_contract_file):
    write_contract_file("run", {**OFFICIAL, "max_output_tokens": 64,
                                "sampling": {**OFFICIAL["sampling"], "temperature": 0.7, "top_k": 50}})
    passed, reason = rungs(parse_result_dir(str(run_dir)))["engine"]
    assert passed is False
    assert reason == "max output tokens 64 (rules: 128); sampling not greedy (temperature 0.7, top_k 50)"
