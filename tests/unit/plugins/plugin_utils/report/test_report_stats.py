"""Noise band, deviation verdicts and explanation ranking."""
from __future__ import annotations

import pytest

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.config import (
    configuration_table,
    cuda_version_text,
    host_configuration,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import report_data
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import (
    NoiseSettings,
    Sample,
    pooled_noise,
)
from tests.pytest_plugins.report import L01_OFFLINE, L06_CPU_SERVER


def test_pooled_noise_uses_every_host_with_repeats():
    noise = pooled_noise([Sample([100.0, 102.0]), Sample([50.0, 51.0, 49.0]), Sample([70.0])])
    assert noise.measured and noise.degrees_of_freedom == 3
    # sqrt((1 * (1.414/101)^2 + 2 * (1/50)^2) / 3)
    assert noise.relative_sd == pytest.approx(0.01822, abs=1e-4)
    assert noise.mean_uncertainty(2) > noise.mean_uncertainty(10)


def test_without_repeats_the_uncertainty_is_the_labelled_default():
    noise = pooled_noise([Sample([100.0]), Sample([90.0])], NoiseSettings(default_pct=3.0))
    assert not noise.measured and noise.mean_uncertainty(1) == pytest.approx(0.03)
    assert noise.method.startswith("assumed 3%")


@pytest.mark.parametrize("settings, message", [
    ({"confidence": 1.0}, "confidence must be at least 0.5 and below 1, got 1.0"),
    ({"confidence": 95}, "confidence must be at least 0.5 and below 1, got 95"),
    ({"default_pct": -1.0}, "default_noise_pct must not be negative, got -1.0"),
    ({"uniform_within_pct": 0.0}, "uniform_within_pct must be above 0 and below 100, got 0.0"),
])
def test_settings_out_of_range_are_refused_with_the_value(settings, message):
    with pytest.raises(ValueError) as raised:
        NoiseSettings(**settings)
    assert str(raised.value) == message


def test_cuda_from_nvml_integer_reads_as_people_write_it():
    assert cuda_version_text(12020) == "12.2" and cuda_version_text("12.8") == "12.8"


def test_cpu_hosts_are_compared_by_their_fingerprint():
    gpu_less = {"gpu_present": False, "driver_version": None, "gpus": [],
                "host": {"cpu_model": "Xeon 8592+", "cpu_count": 2, "cpu_quota": 1.5}, "harness": {"vllm": "0.32.0"}}
    config = host_configuration(gpu_less, None, {"engine_args": {"max_num_seqs": 64}, "model": {"sha256": "ab"}})
    assert config == {"cpu_model": "Xeon 8592+", "cpu_count": 2, "cpu_quota": 1.5, "vllm": "0.32.0",
                      "engine_arg.max_num_seqs": 64, "model_sha256": "ab"}


def test_missing_fact_is_not_a_difference():
    table = configuration_table({"a": {"driver": "570"}, "b": {"driver": "570", "vllm": "0.32.0"}, "c": {}})
    assert table["hosts"] == ["a", "b"]
    assert [(row["label"], row["differs"]) for row in table["rows"]] == [("driver", False), ("vLLM", False)]


def test_difference_only_the_slow_host_has_ranks_above_one_a_fast_host_shares(replay_run, real_gpu_facts, results_document):
    run_info = {"engine_args": {"max_num_seqs": 256}}
    records = [replay_run(L01_OFFLINE, h, scale=s, run_info=run_info) for h, s in (("a", 1), ("b", 1), ("c", 1))]
    records.append(replay_run(L01_OFFLINE, "d", scale=0.6, run_info={"engine_args": {"max_num_seqs": 16}}))
    gpu = {"a": real_gpu_facts("570.133.07", "12.8"), "b": real_gpu_facts("570.133.07", "12.8"),
           "c": real_gpu_facts("535.247.01", "12.8"), "d": real_gpu_facts("535.247.01", "12.8")}
    group = report_data(results_document(records, gpu))["groups"][0]
    slow = next(h for h in group["hosts"] if h["host"] == "d")

    assert [d["label"] for d in slow["differences"]] == ["engine argument max_num_seqs", "driver"]
    assert "differs in engine argument max_num_seqs 16 vs 256, driver 535.247.01 vs 570.133.07" in slow["explanation"]


def test_repeats_within_noise_say_no_difference_measurable(replay_run, results_document):
    records = [replay_run(L06_CPU_SERVER, h, repeat=r, scale=s) for h, runs in
               (("a", ((0, 1.0), (1, 1.04))), ("b", ((0, 0.99), (1, 1.03)))) for r, s in runs]
    group = report_data(results_document(records))["groups"][0]

    assert group["noise"]["measured"] and group["metric"] == "completed_tokens_per_second"
    assert {h["verdict"] for h in group["hosts"]} == {"no difference measurable"}
    assert all(h["explanation"] is None for h in group["hosts"])


def test_outside_band_without_configuration_difference_says_so(replay_run, results_document):
    records = [replay_run(L01_OFFLINE, "a"), replay_run(L01_OFFLINE, "b"), replay_run(L01_OFFLINE, "c", scale=0.5)]
    slow = report_data(results_document(records))["groups"][0]["hosts"][2]
    assert slow["verdict"] == "slower"
    assert "no difference in the recorded configuration" in slow["explanation"]


@pytest.mark.usefixtures("corpus_dir")  # a SingleStream LLM run: the report stand-ins have none
def test_latency_metric_lower_is_better(replay_run, results_document, parsed_corpus_run):
    folder = "Intel_v5.1_1-node-1x-BMG-Pro-B60-Dual_llama3.1-8b-edge_SingleStream"
    fast = replay_run(folder, "a")
    slow = replay_run(folder, "b")
    slow["latency_ns"] = {k: v * 2 for k, v in slow["latency_ns"].items()}
    slow["headline"] = dict(slow["headline"], value=slow["headline"]["value"] * 2)
    group = report_data(results_document([fast, replay_run(folder, "c"), slow]))["groups"][0]

    assert group["lower_is_better"] and group["unit"] == "ns"
    assert next(h for h in group["hosts"] if h["host"] == "b")["verdict"] == "slower"


def test_cpu_host_gap_is_explained_by_its_cgroup_quota(replay_run, results_document):
    def run_info(quota):
        return {"profile": "official", "engine_args": {"dtype": "bfloat16"}, "model": {"sha256": "aa"},
                "fingerprint": {"cpu_model": "Intel Xeon 6980P", "cpu_count": 128, "cpu_quota": quota,
                                "vllm": "0.32.0", "torch": "2.13.0+cpu", "device": "cpu"}}
    records = [replay_run(L06_CPU_SERVER, h, run_info=run_info(q), scale=s)
               for h, q, s in (("cpu-a", None, 1.0), ("cpu-b", None, 1.0), ("cpu-c", 64.0, 0.5))]
    slow = report_data(results_document(records))["groups"][0]["hosts"][2]

    assert slow["explanation"].startswith("cpu-c: 50% below the fleet median completed_tokens_per_second")
    assert slow["explanation"].endswith("; differs in CPU quota 64.0 vs unlimited")
