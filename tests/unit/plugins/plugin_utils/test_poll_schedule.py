"""How often the controller looks at a run: about 20 looks per expected run, 30 s apart at most."""
from __future__ import annotations

from ansible_collections.fleetbench.llm.plugins.plugin_utils.poll_schedule import expected_run_s, poll_interval_s


def test_official_performance_runs_are_expected_to_last_mlperfs_600_s():
    assert expected_run_s("official", "performance", {}) == 600.0


def test_a_min_duration_setting_in_ms_wins():
    assert expected_run_s("official", "performance", {"min_duration": 120000}) == 120.0
    assert expected_run_s("quick", "performance", {"min_duration": "2000"}) == 2.0


def test_quick_and_accuracy_runs_have_no_expected_length():
    assert expected_run_s("quick", "performance", {}) == 0.0
    assert expected_run_s("official", "accuracy", None) == 0.0
    assert expected_run_s("official", "performance", {"min_duration": "soon"}) == 0.0


def test_an_official_run_gets_about_20_looks_never_more_than_30_s_apart():
    assert poll_interval_s(5, 600.0, 0.0) == 30.0
    assert poll_interval_s(5, 200.0, 0.0) == 10.0
    assert poll_interval_s(5, 3000.0, 0.0) == 30.0


def test_short_runs_keep_the_configured_floor():
    assert poll_interval_s(2, 0.0, 0.0) == 2.0
    assert poll_interval_s(5, 2.0, 1.0) == 5.0
    assert poll_interval_s(0, 0.0, 0.0) == 1.0


def test_a_run_outlasting_its_expected_length_is_looked_at_less_often():
    assert poll_interval_s(2, 0.0, 100.0) == 5.0
    assert poll_interval_s(2, 0.0, 10_000.0) == 30.0


def test_a_floor_above_30_s_is_the_users_choice():
    assert poll_interval_s(60, 600.0, 0.0) == 60.0


def test_looks_over_an_official_run_stay_near_20():
    looks, elapsed = 0, 0.0
    while elapsed < 600.0:
        elapsed += poll_interval_s(5, 600.0, elapsed)
        looks += 1
    assert 18 <= looks <= 22
