"""A short fuzz run on every change: a few hundred damaged inputs per parser, none may escape
or take a second (the 10,000-input run is `make fuzz`)."""
from __future__ import annotations

import random

import pytest

from benchmarks.fuzz_parsers import SECTION_END, SECTION_START, section
from benchmarks.fuzzing import campaign, mutations, targets
from tests.pytest_plugins.paths import CORPUS

INPUTS = 200
ALWAYS = ("summary", "detail log", "whole run folder", "nvidia-smi XML", "nvidia-smi CSV", "nvidia-smi table")


@pytest.fixture(scope="module")
def fuzz_targets(loadgen_runs, tmp_path_factory):
    corpus = CORPUS if CORPUS.is_dir() else None
    return {t.name: t for t in targets.all_targets(corpus, list(loadgen_runs.values()), tmp_path_factory.mktemp("fuzz"))}


def test_every_parser_is_a_target_without_the_corpus(fuzz_targets):
    # LoadGen runs made in the session and the stand-in nvidia-smi seed these even in a clean clone.
    assert set(ALWAYS) <= set(fuzz_targets)


@pytest.mark.parametrize("name", ["summary", "detail log", "accuracy.txt", "whole run folder", "nvidia-smi XML",
                                  "nvidia-smi CSV", "nvidia-smi -q text", "nvidia-smi table"])
def test_no_damaged_input_escapes_or_stalls_a_parser(fuzz_targets, name):
    if name not in fuzz_targets:
        pytest.skip(f"no seeds for {name} without the shared corpus at {CORPUS}")
    tally = campaign.run(fuzz_targets[name], INPUTS, seed=1)
    assert tally.inputs == INPUTS
    assert tally.uncaught == {}
    assert (tally.slow, tally.hangs) == (0, 0), tally.slowest


def test_mutations_are_repeatable_and_change_the_input():
    seed = b':::MLLOG {"key": "result_query_count", "value": 24576}\nSamples per second: 1.5\n'
    first = [mutations.mutate(seed, random.Random(n)) for n in range(50)]
    again = [mutations.mutate(seed, random.Random(n)) for n in range(50)]
    assert first == again
    assert sum(data != seed for data, _names in first) > 40


def test_a_parser_that_raises_is_counted_with_where_it_raised():
    def fragile(seed, rng, applied):
        raise KeyError("boom")
    tally = campaign.run(targets.Target("fragile", [("x", b"x")], fragile), 3)
    [where] = tally.uncaught
    assert tally.uncaught_count == 3 and where.startswith("KeyError at test_fuzz_parsers.py:")


def test_a_parse_past_the_hang_limit_is_stopped_and_counted():
    def stalls(seed, rng, applied):
        while True:
            pass
    tally = campaign.run(targets.Target("stalls", [("x", b"x")], stalls), 1, hang_s=0.2)
    assert (tally.hangs, tally.uncaught_count) == (1, 0)


def test_the_section_says_whether_the_goal_is_met():
    good = campaign.Tally("summary", inputs=10)
    bad = campaign.Tally("detail log", inputs=10, uncaught_count=1, uncaught={"KeyError at x.py:1": "input 3"})
    text = section([good, bad], 10, 0, {"summary": 2, "detail log": 2})
    assert text.startswith(SECTION_START) and text.endswith(SECTION_END)
    assert "misses (1 uncaught, 0 over 1 s)" in text and "KeyError at x.py:1" in text
    assert "meets" in section([good], 10, 0, {"summary": 2})
