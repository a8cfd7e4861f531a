"""The incidents of the design brief, replayed as data through the fleet report.

Each record is a real LoadGen run parsed by the project's parser, with host names, throughput,
sample counts or driver changed to reproduce what real reports got wrong.
"""
from __future__ import annotations

import json
import re

import pytest

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import fleet_report, report_data
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.junit import junit_report
from tests.pytest_plugins.report import L01_OFFLINE, L02_SERVER, L41_INVALID_SERVER, measured_at

FLEET_START = 1_796_650_000.0


def _group(report, scenario):
    return next(g for g in report["groups"] if g["scenario"] == scenario)


def _host(group, host):
    return next(h for h in group["hosts"] if h["host"] == host)


def test_driver_gap_535_vs_570_is_explained_by_the_driver_difference(replay_run, real_gpu_facts, results_document):
    # Incident 1: identical hosts, 72% apart in tokens/s; one on 535.247.01 / CUDA 12.2.
    records = [replay_run(L01_OFFLINE, host, scale=scale) for host, scale in
               (("host-a", 1.0), ("host-b", 1 / 1.72), ("host-c", 1.0))]
    gpu = {"host-a": real_gpu_facts("570.133.07", "12.8"), "host-b": real_gpu_facts("535.247.01", "12.2"),
           "host-c": real_gpu_facts("570.133.07", "12.8")}
    report = report_data(results_document(records, gpu))

    slow = _host(_group(report, "Offline"), "host-b")
    assert slow["verdict"] == "slower"
    assert slow["explanation"].startswith("host-b: 42% below the fleet median")
    assert "differs in driver 535.247.01 vs 570.133.07, CUDA 12.2 vs 12.8" in slow["explanation"]
    assert [d["field"] for d in slow["differences"]] == ["driver", "cuda"]
    assert _host(_group(report, "Offline"), "host-a")["verdict"] == "no difference measurable"


def test_driver_gap_between_two_hosts_names_the_driver_on_both_sides(replay_run, real_gpu_facts, results_document):
    records = [replay_run(L01_OFFLINE, "host-a"), replay_run(L01_OFFLINE, "host-b", scale=1 / 1.72)]
    gpu = {"host-a": real_gpu_facts("570.133.07", "12.8"), "host-b": real_gpu_facts("535.247.01", "12.2")}
    group = _group(report_data(results_document(records, gpu)), "Offline")

    assert "driver 535.247.01 vs 570.133.07" in _host(group, "host-b")["explanation"]
    assert "below the fleet median" in _host(group, "host-b")["explanation"]
    assert "driver 570.133.07 vs 535.247.01" in _host(group, "host-a")["explanation"]
    assert "above the fleet median" in _host(group, "host-a")["explanation"]


def test_five_of_ten_samples_completed_is_an_error(replay_run, results_document):
    # Incident 3: "one host completed 5 of 10 samples and nobody could say why".
    records = [replay_run(L01_OFFLINE, "host-a"),
               replay_run(L01_OFFLINE, "host-b", samples_issued=10, samples_completed=5)]
    document = results_document(records)
    report = report_data(document)

    row = next(r for r in report["rows"] if r["host"] == "host-b")
    assert row["result"] == "ERROR"
    assert "5 of 10 samples completed (5 lost)" in row["reasons"]
    assert any(e.startswith("host-b Offline repeat 0: ERROR: 5 of 10 samples completed") for e in report["errors"])
    assert report["verdict"]["passed"] is False
    assert [h["host"] for h in _group(report, "Offline")["hosts"]] == ["host-a"]
    assert 'classname="host-b"' in junit_report(document) and "5 of 10 samples completed" in junit_report(document)


def test_super_linear_claim_from_short_runs_is_within_noise_and_not_representative(replay_run, results_document):
    # Incident 4: "super-linear scaling, 105.5%" from 0.9-second, 10-sample runs.
    short = {"duration_s": 0.9, "samples_issued": 10, "samples_completed": 10, "compliant": False}
    singles = [replay_run(L01_OFFLINE, h, **short) for h in ("host-a", "host-b")]
    fleet = [measured_at(replay_run(L01_OFFLINE, h, scale=1.055, fleet_mode="fleet", **short), FLEET_START)
             for h in ("host-a", "host-b")]
    report = report_data(results_document(singles + fleet))
    rendered = fleet_report(results_document(singles + fleet))

    scaling = report["scaling"][0]
    assert scaling["efficiency_pct"] == pytest.approx(105.5)
    assert scaling["verdict"].startswith("no difference measurable")
    assert "not representative" in scaling["verdict"]
    assert "0.9 s run (under 60 s)" in scaling["not_representative"]
    assert "super-linear" not in rendered["markdown"] and "super-linear" not in rendered["html"]


# A scaling verdict without "(not representative)" needs long, MLPerf-compliant runs: only the corpus has them.
@pytest.mark.usefixtures("corpus_dir")
def test_super_linear_is_said_only_beyond_measured_noise(replay_run, results_document):
    singles = [replay_run(L01_OFFLINE, h, repeat=r, scale=s) for h in ("host-a", "host-b")
               for r, s in ((0, 0.999), (1, 1.001))]
    fleet = [measured_at(replay_run(L01_OFFLINE, h, repeat=r, scale=1.2 * s, fleet_mode="fleet"), FLEET_START + r * 900)
             for h in ("host-a", "host-b") for r, s in ((0, 0.999), (1, 1.001))]
    scaling = report_data(results_document(singles + fleet))["scaling"][0]

    assert scaling["verdict"] == "super-linear"
    assert scaling["efficiency_pct"] - 100 > scaling["uncertainty_pct"]


def test_invalid_server_run_is_never_called_a_success(replay_run, results_document):
    # Incident 4: "Result: INVALID (expected)" printed as a success.
    document = results_document([replay_run(L41_INVALID_SERVER, "host-a")])
    rendered = fleet_report(document)
    report = json.loads(rendered["json"])

    row = report["rows"][0]
    assert row["result"] == "INVALID"
    assert any("TTFT" in reason for reason in row["reasons"])
    assert report["verdict"]["passed"] is False and report["groups"] == []
    assert "| INVALID: " in rendered["markdown"] and "PASSED" not in rendered["markdown"]
    assert '<span class="INVALID">INVALID</span>' in rendered["html"]
    assert '<failure type="failure" message="INVALID: ' in junit_report(document)


def test_numbers_from_a_run_still_in_progress_never_appear(replay_run, results_document):
    # Incident 4: numbers from runs still in progress mixed into final tables.
    running = replay_run(L02_SERVER, "host-b", status="running", valid=None, tokens_per_second=98765.4,
                         samples_per_second=771.6, headline={"name": "completed_tokens_per_second",
                                                             "value": 98765.4, "unit": "tokens/s"})
    rendered = fleet_report(results_document([replay_run(L02_SERVER, "host-a"), running]))

    for text in (rendered["markdown"], rendered["html"], rendered["json"]):
        assert "98765" not in text and "98,765" not in text and "771.6" not in text
    report = json.loads(rendered["json"])
    assert report["withheld"] == [{"host": "host-b", "scenario": "Server", "mode": "performance", "repeat": 0,
                                   "status": "running", "reason": "still running: numbers withheld until the run finishes",
                                   "source": running["source"]["dir"]}]
    assert [r["host"] for r in report["rows"]] == ["host-a"]


def test_quick_run_is_labelled_not_representative(replay_run, results_document):
    quick = replay_run(L01_OFFLINE, "host-a", duration_s=0.9, samples_completed=10, samples_issued=10, compliant=False,
                       run_info={"profile": "quick"})
    report = report_data(results_document([quick]))

    assert report["rows"][0]["not_representative"] == [
        "quick profile: settings are not MLPerf-compliant", "0.9 s run (under 60 s)", "10 samples (under 100)"]
    assert report["run"]["compliance"].startswith("NOT compliant")


def test_rendered_report_holds_no_unexpanded_template_or_shell_expression(replay_run, real_gpu_facts, results_document):
    # Incident 4: a literal `$(date)` left in a header.
    records = [replay_run(L02_SERVER, "host-a"), replay_run(L02_SERVER, "host-b", scale=0.5)]
    rendered = fleet_report(results_document(records, {"host-a": real_gpu_facts("570.133.07", "12.8")}),
                            generated_at="2026-11-22T06:00:00Z")

    html_without_charts = re.sub(r"<svg.*?</svg>", "", rendered["html"], flags=re.S)
    for text in (rendered["markdown"], html_without_charts, rendered["json"]):
        for marker in ("{{", "{%", "$(", "${"):
            assert marker not in text
    assert "2026-11-22T06:00:00Z" in rendered["markdown"]


# A scaling verdict without "(not representative)" needs long, MLPerf-compliant runs: only the corpus has them.
@pytest.mark.usefixtures("corpus_dir")
def test_fleet_run_is_compared_with_single_host_results_of_the_baseline(replay_run, results_document):
    singles = results_document([replay_run(L01_OFFLINE, h, run_id="single") for h in ("host-a", "host-b")], run_id="single")
    fleet = results_document([measured_at(replay_run(L01_OFFLINE, h, run_id="fleet", scale=0.8, fleet_mode="fleet"), FLEET_START)
                              for h in ("host-a", "host-b")], run_id="fleet")
    scaling = report_data(fleet, baseline=singles)["scaling"][0]

    assert scaling["efficiency_pct"] == pytest.approx(80.0)
    assert scaling["verdict"] == "sub-linear"


def test_malformed_record_is_an_error_line_not_a_crash(replay_run, results_document):
    broken = {"schema_version": 1, "host": "host-b", "status": "complete", "scenario": "Server", "mode": "performance",
              "headline": {"name": "completed_tokens_per_second"}}
    report = report_data(results_document([replay_run(L02_SERVER, "host-a"), broken]))

    assert [r["host"] for r in report["rows"]] == ["host-a"]
    assert report["errors"] == ["host-b Server performance: unreadable result record: "
                                "'headline' must hold name, value and unit, got {'name': 'completed_tokens_per_second'}"]


def test_preflight_drift_table_is_shown_with_the_hosts_that_differ(replay_run, results_document):
    drift = {"summary": "2 field(s) differ across 3 host(s): driver, cuda", "down": [{"host": "host-d", "reason": "unreachable"}],
             "fields": [{"field": "driver", "differs": True, "majority": "570.133.07", "deviations": {"host-b": "535.247.01"}},
                        {"field": "vbios", "differs": False, "majority": "96.00", "deviations": {}}]}
    rendered = fleet_report(results_document([replay_run(L01_OFFLINE, "host-a")], drift=drift))

    assert "Preflight drift gate: 2 field(s) differ across 3 host(s): driver, cuda" in rendered["markdown"]
    assert "| driver | 570.133.07 | host-b: 535.247.01 |" in rendered["markdown"]
    assert "| vbios |" not in rendered["markdown"]
    assert "- down at preflight: host-d: unreachable" in rendered["markdown"]
    assert '<td class="off">host-b: 535.247.01</td>' in rendered["html"]
