"""The report's Server capacity section on parsed real runs: ranked by the highest VALID QPS, with
the share of the same host's Offline, and a host below the fleet's band flagged as for any metric."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import fleet_report
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet import build_report
from tests.pytest_plugins.report import L01_OFFLINE, L02_SERVER

PROBE = {"kind": "probe", "valid": False, "within_limits": True, "completed_tokens_per_second": 1.0,
         "completed_samples_per_second": 1.0, "ttft_p99_ns": 1.0, "tpot_p99_ns": 1.0, "ttft_limit_ns": 2e9,
         "tpot_limit_ns": 1e8, "duration_s": 6.0, "wall_s": 30.0, "exit_code": 0}


def search(qps: float | None, failed_above: float | None = 2.0) -> dict:
    held = qps or 0.5
    return {"started": "2026-12-07T13:19:57+00:00", "finished": "2026-12-07T13:22:29+00:00", "profile": "quick",
            "start_qps": held, "offline_samples_per_second": None, "max_probes": 3, "tolerance": 0.05,
            "probe_settings": {"min_duration_ms": 2000, "min_query_count": 60, "label": "short probes"},
            "probes": [dict(PROBE, qps=held, index=1, folder="probes/01"), dict(PROBE, qps=held * 2, within_limits=False)],
            "confirm_runs": [dict(PROBE, kind="confirm", qps=held, valid=qps is not None)],
            "highest_held_qps": held, "lowest_failed_qps": None if failed_above is None else held * failed_above,
            "stopped": "probe budget (3) spent", "highest_valid_qps": qps, "confirmed": qps is not None}


@pytest.fixture
def capacity_run(replay_run):
    def run(host: str, scale: float, qps: float | None, **changes) -> dict:
        record = replay_run(L02_SERVER, host, scale=scale, scenario_label="ServerCapacity", **changes)
        record["server_search"] = search(qps, **({} if qps else {"failed_above": 2.0}))
        if qps is None:
            record.update(valid=False, invalid_reasons=[{"check": "performance_constraints", "message": "TTFT"}])
        return record
    return run


def test_hosts_rank_by_highest_valid_qps_with_their_share_of_offline(replay_run, capacity_run, results_document):
    records = [replay_run(L01_OFFLINE, "a"), replay_run(L01_OFFLINE, "b"),
               capacity_run("a", 0.9, 900.0), capacity_run("b", 1.0, 1000.0)]
    report = build_report(results_document(records))
    first, second = report["server_capacity"]
    assert [(e["rank"], e["host"], e["qps"]) for e in (first, second)] == [(1, "b", 1000.0), (2, "a", 900.0)]
    offline = next(r for r in records if r["host"] == "b" and r["scenario_label"] == "Offline")["tokens_per_second"]
    server = next(r for r in records if r["host"] == "b" and r["scenario_label"] == "ServerCapacity")
    assert first["offline_share"] == pytest.approx(server["tokens_per_second"] / offline)
    assert 0 < first["offline_share"] < 1
    assert first["ttft_p99_ns"] == server["ttft_ns"]["p99"] and first["tpot_p99_ns"] == server["tpot_ns"]["p99"]
    assert "of its Offline" in first["text"] and first["short_probes"] == "short probes (2 s, 60 queries, quick profile)"


def test_a_host_below_the_fleets_band_is_flagged(replay_run, capacity_run, results_document):
    records = [capacity_run(host, 1.0 + i * 0.002, 1000.0) for i, host in enumerate("abcd")]
    records.append(capacity_run("slow", 0.6, 600.0))
    report = build_report(results_document(records))
    flagged = [e["host"] for e in report["server_capacity"] if e["below_band"]]
    assert flagged == ["slow"]
    assert report["server_capacity"][-1]["host"] == "slow" and "BELOW the fleet's band" in report["server_capacity"][-1]["text"]
    markdown = fleet_report(results_document(records))["markdown"]
    assert "## Server capacity" in markdown and "BELOW the band" in markdown


def test_a_search_with_no_valid_confirm_is_listed_unranked_with_why(replay_run, capacity_run, results_document):
    records = [capacity_run("a", 1.0, 1000.0), capacity_run("b", 1.0, None)]
    entries = build_report(results_document(records))["server_capacity"]
    assert [(e["host"], e["rank"], e["qps"]) for e in entries] == [("a", 1, 1000.0), ("b", None, None)]
    assert entries[1]["text"].startswith("b: no VALID Server load confirmed (highest probe held 0.5000 QPS")
    html = fleet_report(results_document(records))["html"]
    assert "Server capacity" in html and "none VALID" in html


def test_no_probe_failing_makes_the_capacity_a_lower_bound(capacity_run, results_document):
    record = capacity_run("a", 1.0, 1000.0)
    record["server_search"]["lowest_failed_qps"] = None
    (entry,) = build_report(results_document([record]))["server_capacity"]
    assert entry["at_least"] and "at least this" in entry["text"]
    assert "| 1,000 (at least) |" in fleet_report(results_document([record]))["markdown"]


def test_runs_without_a_search_leave_the_section_out(replay_run, results_document):
    records = [replay_run(L01_OFFLINE, "a"), replay_run(L02_SERVER, "a")]
    report = build_report(results_document(copy.deepcopy(records)))
    assert report["server_capacity"] == []
    assert "Server capacity" not in fleet_report(results_document(records))["markdown"]


def test_a_large_fleet_shows_the_top_hosts_and_every_host_below_the_band(capacity_run, results_document):
    hosts = [f"h{i:02d}" for i in range(8)]
    records = [capacity_run(host, 1.0 + i * 0.002, 1000.0 + i) for i, host in enumerate(hosts)]
    records.append(capacity_run("slow", 0.6, 600.0))
    markdown = fleet_report(results_document(records), summarise_above_hosts=3)["markdown"]
    section = markdown.split("## Server capacity", 1)[1].split("\n## ", 1)[0]
    shown = [line.split(" | ")[1] for line in section.splitlines() if line.startswith("| ") and line[2:3].isdigit()]
    assert shown == ["h07", "h06", "h05", "h04", "h03", "slow"]
    assert "3 more hosts within the band: in report.json." in section
