"""The harness command line built from the harness_run module's options."""
from __future__ import annotations

from ansible_collections.fleetbench.llm.plugins.module_utils.harness_command import harness_command

BASE = {"harness": "/v/bin/fleetbench-harness", "scenario": "Server", "mode": "performance",
        "model": "/m", "dataset": "/d.json", "output": "/o", "profile": "quick"}


def test_minimal_command_follows_the_contract():
    assert harness_command(BASE) == [
        "/v/bin/fleetbench-harness", "run", "--scenario", "Server", "--mode", "performance",
        "--model", "/m", "--dataset", "/d.json", "--output", "/o", "--profile", "quick"]


def test_settings_and_engine_args_are_repeated_sorted_and_booleans_lower_case():
    command = harness_command(dict(BASE, loadgen_settings={"target_qps": 4, "min_duration": 0},
                                   engine_args={"enforce_eager": True}, dataset_sha256="ab",
                                   total_sample_count=8))
    tail = command[command.index("quick") + 1:]
    assert tail == ["--dataset-sha256", "ab", "--total-sample-count", "8",
                    "--loadgen-setting", "min_duration=0", "--loadgen-setting", "target_qps=4",
                    "--engine-arg", "enforce_eager=true"]


def test_an_agreed_start_is_passed_as_start_at_and_left_out_when_unset():
    command = harness_command(dict(BASE, start_at="1796650060"))
    assert command[command.index("quick") + 1:] == ["--start-at", "1796650060"]
    assert "--start-at" not in harness_command(dict(BASE, start_at=None))
