"""Drift gate arithmetic: differing fields, majority, deviations, down hosts, rendering."""
from __future__ import annotations

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.drift import (
    DriftError,
    drift_report,
    facts_from_results,
    field_value,
    render_text,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import new_gpu


def _facts(driver="570.133.20", cuda="12.8", gpus=2, name="NVIDIA H100 80GB HBM3", power=700.0,
           width=16, cpu_quota=None, vllm=None) -> dict:
    return {
        "driver_version": driver, "cuda_driver_version": cuda, "gpu_count": gpus,
        "gpus": [new_gpu(index=i, name=name, power_limit_enforced_w=power, pcie_width_current=width,
                         ecc_mode=True) for i in range(gpus)],
        "host": {"cpu_model": "Xeon", "cpu_count": 2, "cpu_quota": cpu_quota},
        "harness": {"vllm": vllm} if vllm else {},
    }


def _row(report: dict, field: str) -> dict:
    return next(row for row in report["fields"] if row["field"] == field)


def test_identical_hosts_are_uniform():
    report = drift_report({"a": _facts(), "b": _facts(), "c": _facts()})
    assert report["uniform"] and report["differing_fields"] == []
    assert "3 host(s) agree" in report["summary"]


def test_one_host_on_another_driver_is_the_deviation_from_the_majority():
    report = drift_report({"a": _facts(), "b": _facts(), "c": _facts(driver="535.247.01", cuda="12.2")})
    assert report["differing_fields"] == ["driver", "cuda"]
    driver = _row(report, "driver")
    assert (driver["majority"], driver["majority_hosts"], driver["tie"]) == ("570.133.20", 2, False)
    assert driver["deviations"] == {"c": "535.247.01"}
    assert "driver differs (majority 570.133.20: c=535.247.01)" in report["summary"]


def test_a_tie_is_reported_as_a_tie():
    report = drift_report({"a": _facts(), "b": _facts(driver="575.57.08")})
    row = _row(report, "driver")
    assert row["tie"] is True and row["differs"] is True and len(row["deviations"]) == 1


def test_mixed_gpus_within_a_host_show_counts():
    facts = _facts()
    facts["gpus"][1]["power_limit_enforced_w"] = 500.0
    assert field_value(facts, "power_limit_w") == "700.0 x1; 500.0 x1"
    assert field_value(_facts(), "power_limit_w") == 700.0


def test_one_gpu_at_half_pcie_width_makes_its_host_deviate():
    narrow = _facts()
    narrow["gpus"][0]["pcie_width_current"] = 8
    report = drift_report({"a": _facts(), "b": _facts(), "c": narrow}, fields=["pcie_width", "gpu_count"])
    assert report["differing_fields"] == ["pcie_width"]
    assert list(_row(report, "pcie_width")["deviations"]) == ["c"]


def test_cpu_hosts_compare_on_quota_and_versions_without_gpus():
    def cpu(quota, vllm):
        return {**_facts(gpus=0), "host": {"cpu_model": "Xeon", "cpu_count": 2, "cpu_quota": quota},
                "harness": {"vllm": vllm}}

    report = drift_report({"a": cpu(None, "0.32.0"), "b": cpu(None, "0.32.0"), "c": cpu(1.5, "0.31.0")})
    assert report["differing_fields"] == ["cpu_quota", "vllm"]


def test_custom_fact_path_is_a_field():
    report = drift_report({"a": _facts(), "b": _facts()}, fields=["gpus[].ecc_mode", "host.cpu_model"])
    assert [row["field"] for row in report["fields"]] == ["gpus[].ecc_mode", "host.cpu_model"]
    assert _row(report, "gpus[].ecc_mode")["majority"] is True


def test_unknown_field_name_is_a_clear_error():
    with pytest.raises(DriftError, match="'drvier' is neither a known field"):
        drift_report({"a": _facts()}, fields=["drvier"])


def test_unreachable_failed_and_missing_results_are_down():
    results = {
        "ok": {"ansible_facts": {"fleetbench_gpu": _facts()}, "changed": False},
        "gone": {"unreachable": True, "msg": "ssh: connect to host 10.0.0.4 port 22:\n Connection refused"},
        "broken": {"failed": True, "msg": "cannot read GPU state: ..."},
        "never": None,
    }
    facts, down = facts_from_results(results)
    assert list(facts) == ["ok"]
    assert down["gone"] == "unreachable: ssh: connect to host 10.0.0.4 port 22: Connection refused"
    assert down["broken"].startswith("gpu_facts failed: cannot read GPU state")
    assert "no facts" in down["never"]
    report = drift_report(facts, down)
    assert [d["host"] for d in report["down"]] == ["broken", "gone", "never"]
    assert report["compared_hosts"] == ["ok"] and report["uniform"]
    assert report["summary"] == "down: broken, gone, never"


def test_text_marks_each_deviating_value_and_lists_down_hosts():
    report = drift_report({"a": _facts(), "b": _facts(), "c": _facts(driver="535.247.01")},
                          down={"d": "unreachable: timed out"}, fields=["driver", "gpu_count"])
    text = render_text(report)
    assert text.splitlines()[0] == "drift gate: 3 host(s) compared, 1 down, 1 of 2 field(s) differ"
    assert "DOWN d: unreachable: timed out" in text
    deviating = [line for line in text.splitlines() if line.rstrip().endswith("<<")]
    assert len(deviating) == 1 and "driver" in deviating[0] and "535.247.01" in deviating[0] and " c " in deviating[0]


def test_text_of_a_uniform_fleet_says_so():
    text = render_text(drift_report({"a": _facts(), "b": _facts()}, fields=["driver"]))
    assert "all 2 host(s) agree on: driver" in text
