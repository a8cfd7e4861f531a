"""A fleet run's measured windows: each host's start and end, the window all shared, the 90% rule
for calling a run fleet-wide, and scaling counted over the shared window only."""
from __future__ import annotations

import pytest

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import fleet_report, report_data
from ansible_collections.fleetbench.llm.plugins.module_utils.fleet_window import fleet_window, window_rate
from tests.pytest_plugins.report import L01_OFFLINE, measured_at

START = 1_796_650_000.0  # 2026-12-07T13:26:40Z
HOSTS = ("host-a", "host-b")


@pytest.fixture
def fleet_document(replay_run, results_document):
    """Single-host runs of both hosts, then a fleet run with host-b starting `late_s` after host-a."""

    def build(late_s: float, duration_s: float = 600.0, scale: float = 1.0) -> dict:
        singles = [replay_run(L01_OFFLINE, h) for h in HOSTS]
        fleet = [measured_at(replay_run(L01_OFFLINE, h, fleet_mode="fleet", scale=scale), START + (late_s if h == "host-b" else 0),
                             duration_s, late_by_s=late_s if h == "host-b" else 0.0) for h in HOSTS]
        return results_document(singles + fleet)

    return build


def test_hosts_that_measured_together_are_fleet_wide_and_the_report_shows_each_window(fleet_document):
    document = fleet_document(late_s=0.0)
    scaling = report_data(document)["scaling"][0]
    (window,) = scaling["windows"]
    assert window["fleet_wide"] is True and scaling["fleet_wide"] is True
    assert (window["overlap_s"], window["overlap_pct"]) == (600.0, 100.0)
    assert [h["host"] for h in window["hosts"]] == list(HOSTS)
    assert window["hosts"][0]["start"] == "2026-12-07T13:26:40.000+00:00"
    assert window["verdict"] == "fleet-wide: all 2 hosts measured together for 600.0 s, 100.0% of the shortest run"
    assert scaling["efficiency_pct"] == pytest.approx(100.0)
    rendered = fleet_report(document)
    assert "Measured windows, Offline repeat 0: fleet-wide: all 2 hosts" in rendered["markdown"]
    assert '<p class="fleet-wide">fleet-wide: all 2 hosts' in rendered["html"]
    for text in (rendered["markdown"], rendered["html"]):
        assert "2026-12-07T13:36:40.000+00:00" in text  # host-a's measured end


def test_overlap_below_90_percent_of_the_shortest_run_is_not_called_fleet_wide(fleet_document):
    document = fleet_document(late_s=120.0)  # 480 s of 600 s together: 80%
    scaling = report_data(document)["scaling"][0]
    assert scaling["fleet_wide"] is False and "efficiency_pct" not in scaling
    assert scaling["verdict"] == ("cannot be computed: not fleet-wide: the 2 hosts measured together for 480.0 s, "
                                  "80.0% of the shortest run (90% needed)")
    assert scaling["windows"][0]["limited_by"] == ["host-a", "host-b"]
    rendered = fleet_report(document)
    assert "| host-b | 2026-12-07T13:28:40.000+00:00 | 2026-12-07T13:38:40.000+00:00 | 600.0 s | 120.0 s |" in rendered["markdown"]
    for text in (rendered["markdown"], rendered["html"]):
        assert "fleet-wide: all" not in text


def test_exactly_90_percent_overlap_is_fleet_wide(fleet_document):
    assert report_data(fleet_document(late_s=60.0))["scaling"][0]["fleet_wide"] is True


def test_runs_without_a_measured_window_are_never_called_fleet_wide(replay_run, results_document):
    records = [replay_run(L01_OFFLINE, h) for h in HOSTS] + [replay_run(L01_OFFLINE, h, fleet_mode="fleet") for h in HOSTS]
    scaling = report_data(results_document(records))["scaling"][0]
    assert scaling["fleet_wide"] is False and "efficiency_pct" not in scaling
    assert scaling["verdict"] == ("cannot be computed: not fleet-wide: no measured start and end for host-a, host-b "
                                  "(a harness without --start-at)")


def test_scaling_counts_only_the_shared_window_not_a_burst_after_it(replay_run, results_document):
    singles = [replay_run(L01_OFFLINE, h) for h in HOSTS]
    rate = singles[0]["headline"]["value"]
    together = measured_at(replay_run(L01_OFFLINE, "host-a", fleet_mode="fleet"), START, 600.0)
    # host-b starts 30 s late; over the 570 s all measured together it runs at half its single-host rate,
    # then alone for its last 30 s it catches up: its whole-run headline looks like full speed.
    burst = measured_at(replay_run(L01_OFFLINE, "host-b", fleet_mode="fleet"), START + 30, 600.0)
    burst["run_info"]["measured"]["progress"] = [[0.0, 0, 0], [570.0, 0, rate * 285], [600.0, 0, rate * 600]]
    scaling = report_data(results_document(singles + [together, burst]))["scaling"][0]
    assert scaling["fleet_wide"] is True and scaling["windows"][0]["overlap_s"] == 570.0
    assert scaling["whole_run_fleet_total"] == pytest.approx(2 * rate)
    assert scaling["fleet_total"] == pytest.approx(1.5 * rate)
    assert scaling["efficiency_pct"] == pytest.approx(75.0)


def test_a_per_host_run_has_no_fleet_windows(replay_run, results_document):
    rendered = fleet_report(results_document([replay_run(L01_OFFLINE, h) for h in HOSTS]))
    assert "Measured windows" not in rendered["markdown"] and "Measured windows" not in rendered["html"]
    assert report_data(results_document([replay_run(L01_OFFLINE, h) for h in HOSTS]))["scaling"] == []


def test_window_rate_interpolates_between_progress_points_and_refuses_what_it_cannot_know():
    record = measured_at({"host": "h", "headline": {"name": "tokens_per_second", "value": 10.0}}, START, 100.0)
    record["run_info"]["measured"]["progress"] = [[0.0, 0, 0], [50.0, 5, 100], [100.0, 10, 600]]
    assert window_rate(record, START + 25, START + 75, "tokens_per_second") == pytest.approx((350 - 50) / 50)
    assert window_rate(record, START, START + 100, "samples_per_second") == pytest.approx(0.1)
    assert window_rate(record, START, START + 100, "p99_latency") is None
    assert window_rate({"host": "h"}, START, START + 100, "tokens_per_second") is None
    record["run_info"]["measured"]["progress"] = [["x", 0, 0], [1, 2, 3]]
    assert window_rate(record, START, START + 1, "tokens_per_second") is None


def test_a_host_with_a_broken_measured_time_is_named():
    good = measured_at({"host": "h1", "headline": {"name": "tokens_per_second", "value": 1.0}}, START, 10.0)
    bad = {"host": "h2", "run_info": {"measured": {"start": "yesterday", "end": "2026-12-07T13:26:50Z"}}}
    window = fleet_window([good, bad])
    assert window["fleet_wide"] is False and "no measured start and end for h2" in window["verdict"]
