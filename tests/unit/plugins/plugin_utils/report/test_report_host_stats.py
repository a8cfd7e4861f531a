"""Host-vs-fleet and A/B statistics, proved on numbers whose truth is known.

The simulations draw whole fleets with a seeded generator and run them through the same
functions the report uses, then hold the observed false-alarm and detection rates against the
rates the report states.
"""
from __future__ import annotations

import math
import random

import pytest

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_stats import (
    compare_before_after,
    HostNoise,
    compare_hosts,
    holm,
    host_noise,
    log_values,
    minimum_detectable,
    outliers,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_summaries import (
    detectable_summary,
    run_order,
    uniformity_summary,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import NoiseSettings
from benchmarks.report_simulation import detection_rate, false_alarm_rate, simulated_fleet

AT_99 = NoiseSettings(confidence=0.99)


def judge(samples: dict[str, list[float]], settings: NoiseSettings = AT_99):
    logs = {h: log_values(v) for h, v in samples.items()}
    noise = host_noise(logs)
    return compare_hosts(logs, noise, settings), noise


def test_a_host_four_times_slower_is_flagged_beside_a_host_with_twenty_percent_noise():
    # The e2e baseline that the old pooled relative band missed: node2 -77% inside ±88.5%.
    samples = {"node1": [8600.0, 8650.0], "node2": [1300.0, 1760.0], "node3": [5500.0, 7400.0]}
    verdicts, _ = judge(samples)
    assert verdicts["node2"].outside_band and verdicts["node2"].deviation_pct < -verdicts["node2"].band_pct
    assert not verdicts["node1"].outside_band and not verdicts["node3"].outside_band


def test_one_noisy_host_is_set_apart_and_does_not_widen_the_others_bands():
    quiet = {f"h{i}": [100.0 * (1 + 0.01 * d) for d in (-1, 0, 1)] for i in range(5)}
    with_noisy = {**quiet, "noisy": [60.0, 100.0, 150.0]}
    _, noise = judge(with_noisy)
    assert noise.set_apart == ("noisy",)
    assert math.sqrt(noise.pooled_variance) == pytest.approx(0.01, rel=0.05)


def test_a_slow_host_does_not_make_the_other_two_of_three_look_fast():
    verdicts, _ = judge({"a": [100.0, 101.0, 99.0], "b": [25.0, 25.5, 24.5], "c": [100.5, 99.5, 100.0]})
    assert verdicts["b"].outside_band
    assert not verdicts["a"].outside_band and not verdicts["c"].outside_band


def test_holm_steps_down_and_stops_at_the_first_host_it_cannot_reject():
    decisions = holm({"a": 0.001, "b": 0.02, "c": 0.04, "d": 0.5}, alpha=0.05)
    # Levels 0.05/4, 0.05/3, 0.05/2, 0.05/1: a passes, b (0.02 > 0.0167) stops the walk.
    assert {h: rejected for h, (rejected, _) in decisions.items()} == {"a": True, "b": False, "c": False, "d": False}
    assert decisions["a"][1] == pytest.approx(0.0125) and decisions["d"][1] == pytest.approx(0.05)


def test_uniformity_is_claimed_only_when_every_host_is_shown_within_the_tolerance():
    tight = {f"h{i}": [100.0 + i * 0.5 + d for d in (-0.3, 0.0, 0.3)] for i in range(4)}
    verdicts, noise = judge(tight)
    hosts = [{"host": h, "uniformity": v.uniformity} for h, v in verdicts.items()]
    claim = uniformity_summary(hosts, AT_99, noise.measured)
    assert claim["claimed"] is True and claim["text"].startswith("all 4 hosts within ±10%")

    slow = {**tight, "h9": [60.0, 60.2, 59.8]}
    verdicts, noise = judge(slow)
    claim = uniformity_summary([{"host": h, "uniformity": v.uniformity} for h, v in verdicts.items()], AT_99, True)
    assert claim["claimed"] is False and claim["outside"] == ["h9"]
    assert claim["text"] == "cannot claim uniformity within ±10%: h9 outside"


def test_without_repeats_uniformity_is_not_claimed_and_the_band_is_the_assumed_one():
    verdicts, noise = judge({"a": [100.0], "b": [97.0], "c": [80.0]}, NoiseSettings(default_pct=5.0))
    assert not noise.measured
    assert verdicts["c"].outside_band and verdicts["c"].band_pct == 5.0 and not verdicts["b"].outside_band
    claim = uniformity_summary([{"host": h, "uniformity": v.uniformity} for h, v in verdicts.items()], AT_99, False)
    assert claim["claimed"] is False and "no repeated runs" in claim["text"]


def test_the_minimum_detectable_difference_shrinks_with_repeats_and_is_printed_in_words():
    rng = random.Random(7)
    samples = simulated_fleet(rng, {f"h{i}": 100.0 for i in range(3)}, 2, 0.10)
    _, noise = judge(samples)
    two = minimum_detectable(noise, AT_99, 2, 3)
    five = minimum_detectable(noise, AT_99, 5, 3)
    assert five < two
    summary = detectable_summary(noise, AT_99, [2, 2, 2], lower_is_better=False)
    assert summary["text"].startswith(f"with 2 repeats and this noise, a host must be {summary['slower_pct']:.0f}% slower")
    assert summary["with_one_more_repeat_pct"] < summary["slower_pct"]


def test_outliers_are_named_by_their_distance_from_the_median_in_mads():
    means = {f"h{i}": math.log(100.0 + i) for i in range(9)}
    means["odd"] = math.log(70.0)
    found = outliers(means)
    assert list(found) == ["odd"] and found["odd"] < -3.5
    assert outliers({"a": 1.0, "b": 1.0, "c": 1.0}) == {}


def test_the_run_order_tells_interleaved_repeats_from_host_by_host_runs():
    def record(host, repeat, second):
        return {"host": host, "repeat": repeat, "test_datetime": f"2026-12-07T06:00:{second:02d}Z"}

    interleaved = run_order([record("a", 1, 0), record("b", 1, 10), record("a", 2, 20), record("b", 2, 30)])
    assert interleaved["interleaved"] is True and interleaved["order"] == ["a#1", "b#1", "a#2", "b#2"]
    blocks = run_order([record("a", 1, 0), record("a", 2, 10), record("b", 1, 20), record("b", 2, 30)])
    assert blocks["interleaved"] is False and blocks["text"].startswith("host by host")


def test_the_ab_flags_a_host_that_changed_and_keeps_unchanged_ones_inside_the_band():
    rng = random.Random(11)
    before = simulated_fleet(rng, {"a": 100.0, "b": 25.0, "c": 100.0}, 3, 0.05)
    after = simulated_fleet(rng, {"a": 100.0, "b": 100.0, "c": 100.0}, 3, 0.05)
    tests, noise = compare_before_after({h: log_values(v) for h, v in before.items()},
                                        {h: log_values(v) for h, v in after.items()}, AT_99)
    assert noise.measured
    assert tests["b"][2] is True and tests["b"][0].estimate > tests["b"][1]
    assert tests["a"][2] is False and tests["c"][2] is False


# --- seeded simulations: the stated rates hold -------------------------------------------------

FLEETS = 3000


@pytest.mark.parametrize("hosts, repeats", [(2, 3), (3, 2), (3, 3), (8, 3)])
def test_unchanged_fleets_raise_false_alarms_no_more_often_than_stated(hosts, repeats):
    rate = false_alarm_rate(hosts, repeats, 0.05, NoiseSettings(confidence=0.95), FLEETS, seed=hosts * 10 + repeats)
    # Stated: at most 5% of reports flag any unchanged host. Three standard errors of slack.
    assert rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / FLEETS), rate


@pytest.mark.parametrize("hosts, repeats", [(2, 3), (3, 2), (3, 3), (5, 3), (8, 5)])
def test_a_host_slower_by_the_stated_minimum_detectable_difference_is_flagged_as_often_as_stated(hosts, repeats):
    """The report says a host that much slower is flagged DETECTION_POWER (80%) of the time."""
    settings, sigma, runs = NoiseSettings(confidence=0.95), 0.05, FLEETS // 3
    stated = minimum_detectable(HostNoise(sigma ** 2, hosts * (repeats - 1), {}, ()), settings, repeats, hosts)
    rate = detection_rate(hosts, repeats, sigma, -math.expm1(-stated), settings, runs, seed=hosts * 10 + repeats)
    slack = 3 * math.sqrt(0.8 * 0.2 / runs)
    # At least the promised power; the bound on the median's variance may make it a little more.
    assert 0.8 - slack <= rate <= 0.9, (rate, stated)


@pytest.mark.parametrize("repeats, confidence, at_least", [(2, 0.95, 0.97), (3, 0.99, 0.99)])
def test_a_four_times_slower_host_is_flagged_beside_a_host_with_twenty_percent_noise(repeats, confidence, at_least):
    rng = random.Random(3)
    runs = 300
    truth, spread = {"a": 100.0, "slow": 25.0, "noisy": 100.0}, {"a": 0.05, "slow": 0.05, "noisy": 0.2}
    flagged = sum(judge(simulated_fleet(rng, truth, repeats, spread), NoiseSettings(confidence=confidence))[0]["slow"].outside_band
                  for _ in range(runs))
    assert flagged / runs >= at_least, flagged / runs


def test_unchanged_hosts_in_an_ab_raise_false_alarms_no_more_often_than_stated():
    rng = random.Random(5)
    settings = NoiseSettings(confidence=0.95)
    truth = {f"h{i}": 100.0 for i in range(3)}
    alarms = 0
    for _ in range(FLEETS):
        before, after = simulated_fleet(rng, truth, 3, 0.05), simulated_fleet(rng, truth, 3, 0.05)
        tests, _ = compare_before_after({h: log_values(v) for h, v in before.items()},
                                        {h: log_values(v) for h, v in after.items()}, settings)
        alarms += any(flagged for _, _, flagged in tests.values())
    assert alarms / FLEETS <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / FLEETS), alarms / FLEETS
