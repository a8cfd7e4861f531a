"""The harness command line built from the harness_run module's options."""
from __future__ import annotations

from ansible_collections.fleetbench.llm.plugins.module_utils.harness.command import harness_command

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


def test_a_server_search_adds_its_options_and_leaves_out_the_unset_ones():
    command = harness_command(dict(BASE, server_search={"start_qps": 6.5, "probes": 3, "probe_queries": None,
                                                        "offline_samples_per_second": ""}))
    assert command[command.index("quick") + 1:] == ["--server-search", "--search-start-qps", "6.5",
                                                    "--search-probes", "3"]
    assert "--server-search" not in harness_command(dict(BASE, server_search=None))
    assert harness_command(dict(BASE, server_search={}))[-1] == "--server-search"


def test_the_command_line_parses_in_the_harness_itself():
    from fleetbench_harness.cli import parser

    command = harness_command(dict(BASE, server_search={"start_qps": 6, "probes": 2, "confirm_tries": 1,
                                                        "probe_duration": 1.5, "probe_queries": 40,
                                                        "offline_samples_per_second": 20.5}))
    args = parser().parse_args(command[1:])
    assert (args.server_search, args.search_start_qps, args.search_probes, args.search_confirm_tries) == (True, 6, 2, 1)
    assert (args.search_probe_duration, args.search_probe_queries, args.offline_samples_per_second) == (1.5, 40, 20.5)


def test_an_unknown_search_key_is_refused_by_name():
    import pytest

    from ansible_collections.fleetbench.llm.plugins.module_utils.harness.command import HarnessCommandError

    with pytest.raises(HarnessCommandError, match=r"^server_search: unknown key\(s\) probe_count; known: start_qps"):
        harness_command(dict(BASE, server_search={"probe_count": 3}))
