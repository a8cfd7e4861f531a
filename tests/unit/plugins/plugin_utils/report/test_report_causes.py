"""Telemetry into the record and the report: the timeline's summary, and explanations led by
causes measured during the run, with configuration differences after them."""
from __future__ import annotations

import json
import pathlib
import re

import jsonschema
import pytest

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.compare import compare_runs
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import report_data
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.telemetry_summary import (
    TelemetryError,
    add_energy_per_token,
    summarise,
)
from tests.pytest_plugins.report import L01_OFFLINE

SCHEMA = json.loads((pathlib.Path(__file__).parents[5] / "docs/contract/telemetry.schema.json").read_text())


def timeline(seconds: int = 10, throttled_share: float = 0.0, quota: float | None = None, gpu: dict | None = None,
             reasons: list[str] | None = None, energy_per_s_mj: int | None = None) -> dict:
    """A schema-valid telemetry.json of `seconds` one-second samples."""
    samples = []
    for t in range(seconds + 1):
        host = {"cpu_usage_usec": int(t * 1e6 * (quota or 2)), "nr_periods": t * 10, "nr_throttled": int(t * 10 * throttled_share),
                "throttled_usec": int(t * 1e5 * throttled_share), "cpu_ticks_total": t * 200, "cpu_ticks_idle": t * 20,
                "cpu_ticks_steal": 0, "load1": 2.0, "runnable": 2}
        sample = {"t": float(t), "host": host}
        if gpu is not None:
            sample["gpus"] = [{"index": 0, **gpu, "clock_event_reasons": reasons or [], "ecc_uncorrected": 0}]
        samples.append(sample)
    document = {"schema_version": 1, "interval_s": 1.0, "started_at": "2026-12-07T06:00:00Z",
                "finished_at": "2026-12-07T06:00:10Z", "duration_s": float(seconds), "sampler_cpu_s": 0.01,
                "sources": {"gpu": "nvml" if gpu else "none: no nvidia-smi on PATH", "cpu_quota_cores": quota},
                "energy_mj": {"start": [0] if energy_per_s_mj else [], "end": [energy_per_s_mj * seconds] if energy_per_s_mj else []},
                "samples": samples}
    jsonschema.validate(document, SCHEMA)
    return document


def test_the_summary_takes_counters_as_changes_and_gauges_as_mean_min_max():
    summary = summarise(timeline(throttled_share=0.5, quota=0.5, gpu={"power_w": 300.0, "power_limit_w": 300.0,
                                                                      "sm_clock_mhz": 1755.0}, reasons=["sw_power_cap"],
                                 energy_per_s_mj=300_000))
    assert summary["host"]["cpu_throttled_share"] == 0.5 and summary["host"]["cpu_quota_cores"] == 0.5
    assert summary["host"]["cpu_used_cores"] == 0.5 and summary["host"]["machine_busy_share"] == 0.9
    assert summary["gpu"]["clock_event_share"] == {"sw_power_cap": 1.0}
    assert summary["gpu"]["power_w"] == {"mean": 300.0, "min": 300.0, "max": 300.0}
    assert summary["gpu"]["energy_j"] == 3000.0 and summary["gpu"]["energy_source"] == "nvml energy counter"
    add_energy_per_token(summary, tokens_per_second=1000.0, duration_s=10.0)
    assert summary["gpu"]["joules_per_token"] == 0.3
    assert summary["sampler_cpu_share"] == 0.001


def test_without_an_energy_counter_energy_comes_from_power_samples_and_says_so():
    summary = summarise(timeline(gpu={"power_w": 200.0, "power_limit_w": 300.0}))
    assert summary["gpu"]["energy_j"] == 2000.0 and summary["gpu"]["energy_source"] == "power samples x duration"


@pytest.mark.parametrize("document, message", [
    ([], "expected a JSON object, found list"),
    ({"schema_version": 2, "samples": []}, "schema_version 2 is not supported (this code reads 1)"),
    ({"schema_version": 1, "samples": []}, "no samples"),
])
def test_a_timeline_of_another_shape_is_refused_in_one_line(document, message):
    with pytest.raises(TelemetryError, match=re.escape(message)):
        summarise(document)


def record(replay_run, host: str, scale: float, telemetry: dict, repeat: int = 1, **changes) -> dict:
    return replay_run(L01_OFFLINE, host, repeat=repeat, scale=scale, telemetry=summarise(telemetry), **changes)


def offline_hosts(report: dict) -> dict[str, dict]:
    return {h["host"]: h for h in next(g for g in report["groups"] if g["scenario"] == "Offline")["hosts"]}


def test_a_host_throttled_by_its_cpu_quota_is_explained_by_the_measured_throttling_first(replay_run, results_document, real_gpu_facts):
    records = []
    for repeat, jitter in ((1, 1.0), (2, 1.01), (3, 0.99)):
        records += [record(replay_run, "node1", jitter, timeline(), repeat),
                    record(replay_run, "node2", 0.25 * jitter, timeline(throttled_share=0.48, quota=0.5), repeat,
                           run_info={"fingerprint": {"cpu_quota": 0.5}}),
                    record(replay_run, "node3", jitter, timeline(), repeat)]
    gpu = {"node1": real_gpu_facts("570.133.07", "12.8"), "node2": real_gpu_facts("535.247.01", "12.2"),
           "node3": real_gpu_facts("570.133.07", "12.8")}
    slow = offline_hosts(report_data(results_document(records, gpu)))["node2"]
    assert slow["verdict"] == "slower"
    assert [c["kind"] for c in slow["causes"]] == ["cpu_quota_throttling"]
    measured, also = slow["explanation"].split("; measured: ")[1].split("; also differs in ")
    assert measured == "throttled in 48% of scheduler periods by its cgroup CPU quota (0.5 cores)"
    assert also.startswith("driver 535.247.01 vs 570.133.07")


def test_a_power_capped_gpu_host_is_named_power_capped_at_its_watts(replay_run, results_document):
    normal = {"power_w": 690.0, "power_limit_w": 700.0, "sm_clock_mhz": 1980.0, "pcie_gen": 5, "pcie_width": 16}
    capped = {**normal, "power_w": 500.0, "power_limit_w": 500.0, "sm_clock_mhz": 1500.0}
    records = [record(replay_run, h, s * j, timeline(gpu=g, reasons=r), rep)
               for rep, j in ((1, 1.0), (2, 1.01), (3, 0.99))
               for h, s, g, r in (("gpu-a", 1.0, normal, []), ("gpu-b", 1.0, normal, []),
                                  ("gpu-c", 0.7, capped, ["sw_power_cap"]), ("gpu-d", 1.0, normal, []))]
    slow = offline_hosts(report_data(results_document(records)))["gpu-c"]
    assert slow["verdict"] == "slower"
    assert slow["causes"][0]["text"] == "power-capped 100% of the run at 500 W of 500 W"
    assert "SM clocks 24% lower (1,500 vs 1,980 MHz)" in slow["explanation"]


def test_a_faster_host_with_nothing_different_is_explained_by_what_held_the_others_back(replay_run, results_document):
    records = [record(replay_run, h, s * j, timeline(throttled_share=share, quota=quota), rep)
               for rep, j in ((1, 1.0), (2, 1.01), (3, 0.99))
               for h, s, share, quota in (("a", 1.3, 0.0, None), ("b", 1.0, 0.3, 1.5), ("c", 1.0, 0.3, 1.5),
                                          ("d", 1.0, 0.3, 1.5))]
    fast = offline_hosts(report_data(results_document(records)))["a"]
    assert fast["verdict"] == "faster"
    assert "look at load" not in fast["explanation"]
    assert "the others were held back, measured: b throttled in 30% of scheduler periods" in fast["explanation"]


def test_the_ab_says_a_host_got_faster_because_it_stopped_being_throttled(replay_run, results_document):
    def run(run_id: str, node2_scale: float, node2_share: float) -> dict:
        return results_document([record(replay_run, h, s * j, timeline(throttled_share=share, quota=0.5 if share else None),
                                         rep, run_id=run_id)
                                 for rep, j in ((1, 1.0), (2, 1.01), (3, 0.99))
                                 for h, s, share in (("node1", 1.0, 0.0), ("node2", node2_scale, node2_share))],
                                run_id=run_id)

    comparison = compare_runs(run("after", 1.0, 0.0), run("before", 0.25, 0.48))
    row = next(r for r in comparison["rows"] if r["host"] == "node2")
    assert row["verdict"] == "better"
    assert row["measured_changes"] == ["no longer throttled by its cgroup CPU quota (0.5 cores) (48% before)"]
