"""`run --server-search` when a probe cannot run: the search stops at once with the probe's exit
code and one line naming the probe and its cause, and leaves files the collection reads as a
failed run (the full search on the tiny model runs from benchmark.yml: test_benchmark_server_search)."""
from __future__ import annotations

import json
import pathlib

import jsonschema
import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir
from tests.pytest_plugins.harness import run_harness

pytestmark = [pytest.mark.vllm]

CONTRACT = pathlib.Path(__file__).parents[3] / "docs" / "contract"


def test_a_probe_that_fails_ends_the_search_in_one_line(harness_python, tiny_dataset, tmp_path):
    output = tmp_path / "search"
    result = run_harness(harness_python, "run", "--scenario", "Server", "--mode", "performance",
                         "--model", tmp_path / "no-model", "--dataset", tiny_dataset, "--output", output,
                         "--profile", "quick", "--server-search", "--search-start-qps", "5", timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"fleetbench-harness: probe 1 at 5 QPS failed: model {tmp_path / 'no-model'}: no such directory")
    search = json.loads((output / "fleetbench_server_search.json").read_text())
    jsonschema.validate(search, json.loads((CONTRACT / "server_search.schema.json").read_text()))
    (probe,) = search["probes"]
    assert (probe["exit_code"], probe["folder"], search["confirm_runs"], search["confirmed"]) == (2, "probes/01-5qps", [], False)
    status = json.loads((output / "fleetbench_status.json").read_text())
    jsonschema.validate(status, json.loads((CONTRACT / "status.schema.json").read_text()))
    assert (status["phase"], status["exit_code"]) == ("failed", 2)
    record = parse_result_dir(str(output))
    assert record.status == "failed" and record.server_search == search
    assert record.errors == [f"harness failed: probe 1 at 5 QPS failed: model {tmp_path / 'no-model'}: no such directory"]
