"""`fleetbench_server_search: true` from benchmark.yml on localhost, for real: vLLM CPU, tiny model,
quick profile. Offline first, then the capacity search: two short probes (labelled so) and a
full-length confirm run, parsed into the record's server_search and ranked in the report."""
from __future__ import annotations

import json

import jsonschema
import pytest

from tests.pytest_plugins.benchmark import run_benchmark
from tests.pytest_plugins.paths import REPO

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

SEARCH_VARS = {
    "fleetbench_scenarios": ["Offline"],
    "fleetbench_server_search": True,
    # Half the Offline samples/s first, as the localhost Server run targets; then double or halve once.
    "fleetbench_server_search_start_share": 0.5,
    "fleetbench_server_search_options": {"probes": 2, "confirm_tries": 1, "probe_queries": 40},
}


@pytest.fixture(scope="module")
def searched(vllm_python, artifacts_dir):
    return run_benchmark(REPO / "inventory" / "localhost", artifacts_dir / "benchmark-server-search", "server-search",
                         extra_vars=SEARCH_VARS)


@pytest.fixture(scope="module")
def capacity(searched):
    assert searched.process.returncode == 0, searched.explain()
    records = {r["scenario_label"]: r for r in searched.records("localhost")}
    assert sorted(records) == ["Offline", "ServerCapacity"], searched.explain()
    return records


def test_the_search_is_an_ordinary_server_run_beside_its_probes(searched, capacity):
    record = capacity["ServerCapacity"]
    assert (record["scenario"], record["mode"], record["status"]) == ("Server", "performance", "complete")
    folder = searched.run_dir / "localhost" / "ServerCapacity" / "performance"
    document = json.loads((folder / "fleetbench_server_search.json").read_text())
    schema = json.loads((REPO / "docs" / "contract" / "server_search.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert record["server_search"] == document


def test_probes_start_from_the_hosts_offline_and_are_labelled_short(capacity):
    offline, search = capacity["Offline"], capacity["ServerCapacity"]["server_search"]
    assert search["start_qps"] == pytest.approx(round(offline["samples_per_second"] * 0.5, 3))
    assert [p["kind"] for p in search["probes"]] == ["probe", "probe"]
    first, second = search["probes"]
    assert second["qps"] == pytest.approx(first["qps"] * (2 if first["within_limits"] else 0.5), rel=1e-3)
    assert search["profile"] == "quick" and search["probe_settings"]["min_query_count"] == 40
    for probe in search["probes"]:
        assert probe["exit_code"] == 0 and probe["ttft_p99_ns"] > 0 and probe["completed_tokens_per_second"] > 0


def test_the_confirm_run_is_the_record_and_says_whether_it_was_valid(capacity):
    record = capacity["ServerCapacity"]
    search = record["server_search"]
    (confirm,) = search["confirm_runs"]
    assert confirm["valid"] is record["valid"] and search["confirmed"] is record["valid"]
    assert confirm["completed_tokens_per_second"] == pytest.approx(record["tokens_per_second"], rel=1e-3)
    assert float(record["run_info"]["loadgen_overrides"]["target_qps"]) == confirm["qps"]
    held = [p["qps"] for p in search["probes"] if p["within_limits"]]
    assert confirm["qps"] == (max(held) if held else min(p["qps"] for p in search["probes"]))
    assert search["highest_valid_qps"] == (confirm["qps"] if record["valid"] else None)


def test_the_report_ranks_the_host_with_its_share_of_offline(searched, capacity):
    report = json.loads((searched.run_dir / "report.json").read_text())
    (entry,) = report["server_capacity"]
    record = capacity["ServerCapacity"]
    assert entry["host"] == "localhost" and entry["short_probes"].endswith("quick profile)")
    if record["valid"]:
        assert (entry["rank"], entry["qps"]) == (1, record["server_search"]["highest_valid_qps"])
        assert entry["offline_share"] == pytest.approx(record["tokens_per_second"] / capacity["Offline"]["tokens_per_second"])
    else:
        assert (entry["rank"], entry["qps"]) == (None, None)
    assert "## Server capacity" in (searched.run_dir / "report.md").read_text()
