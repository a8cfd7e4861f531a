"""`run --server-search`: what the search and each child run get, and the input it refuses in one line."""
import json
import shutil

import pytest

from fleetbench_harness.cli import main, parser
from fleetbench_harness.probe_result import read_probe
from fleetbench_harness.search_args import search_config

SERVER = "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Server"
BASE = ["run", "--scenario", "Server", "--mode", "performance", "--model", "m", "--dataset", "d.json",
        "--output", "out", "--server-search"]


def config(*extra):
    return search_config(parser().parse_args([*BASE, *extra]))


def test_the_search_owns_target_qps_and_starts_from_the_one_given():
    made = config("--profile", "quick", "--loadgen-setting", "target_qps=7", "--loadgen-setting", "min_query_count=500",
                  "--engine-arg", "enforce_eager=true")
    assert made.start_qps == 7.0
    assert "target_qps=7" not in made.child_args
    assert made.child_args[made.child_args.index("--engine-arg") + 1] == "enforce_eager=true"
    assert "min_query_count=500" in made.child_args
    assert (made.probe_min_duration_ms, made.probe_min_query_count) == (2000, 100)


def test_official_probes_last_a_minute_and_keep_loadgens_query_count():
    made = config("--search-start-qps", "3.5")
    assert (made.start_qps, made.probe_min_duration_ms, made.probe_min_query_count) == (3.5, 60000, None)
    made = config("--search-probe-duration", "5", "--search-probe-queries", "40")
    assert (made.start_qps, made.probe_min_duration_ms, made.probe_min_query_count) == (1.0, 5000, 40)


@pytest.mark.parametrize(("args", "cause"), [
    (["--scenario", "Offline"], "--server-search needs --scenario Server or Interactive"),
    (["--mode", "accuracy"], "--server-search needs --scenario Server or Interactive and --mode performance"),
    (["--start-at", "2030-01-01T00:00:00Z"], "does not take --start-at"),
    (["--search-start-qps", "0"], "--search-start-qps must be above 0"),
    (["--search-probes", "0"], "--search-probes must be at least 1"),
])
def test_bad_search_input_is_one_line_and_exit_2(args, cause, tmp_path, capsys):
    argv = [*BASE[:-3], "--output", str(tmp_path / "out"), "--server-search", *args]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and cause in err[0]


def test_a_probe_is_judged_on_p99_ttft_and_tpot_against_the_runs_own_limits(corpus_dir, tmp_path):
    folder = tmp_path / "probe"
    shutil.copytree(corpus_dir / "loadgen" / SERVER, folder)
    run = {"loadgen_settings": {"ttft_latency": 2_000_000_000, "tpot_latency": 100_000_000}, "measured": {"duration_s": 61.5}}
    (folder / "fleetbench_run.json").write_text(json.dumps(run))
    probe = read_probe(folder)
    assert probe["valid"] is True and probe["within_limits"] is True
    assert probe["completed_tokens_per_second"] > 100_000 and probe["duration_s"] == 61.5
    assert 0 < probe["ttft_p99_ns"] <= 2_000_000_000
    run["loadgen_settings"]["ttft_latency"] = probe["ttft_p99_ns"] - 1
    (folder / "fleetbench_run.json").write_text(json.dumps(run))
    assert read_probe(folder)["within_limits"] is False


def test_a_probe_that_wrote_nothing_did_not_hold(tmp_path):
    probe = read_probe(tmp_path)
    assert (probe["valid"], probe["within_limits"], probe["ttft_p99_ns"]) == (None, False, None)
