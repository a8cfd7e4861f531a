"""A Server capacity search's file beside its confirm run: read into the record's `server_search`,
or a warning naming the file when it cannot be used (docs/contract/server_search.schema.json)."""
from __future__ import annotations

import json
import shutil

import jsonschema
import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import ResultRecord

SERVER = "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Server"


def run(kind: str, qps: float, valid: bool | None, within: bool, **extra) -> dict:
    entry = {"kind": kind, "qps": qps, "valid": valid, "within_limits": within,
             "completed_tokens_per_second": 1400.5, "completed_samples_per_second": 11.2,
             "ttft_p99_ns": 41_000_000, "tpot_p99_ns": 8_800_000, "ttft_limit_ns": 2_000_000_000,
             "tpot_limit_ns": 100_000_000, "duration_s": 44.5, "wall_s": 74.0, "exit_code": 0, **extra}
    return entry


def search_document() -> dict:
    return {
        "started": "2026-12-07T13:19:57+00:00", "finished": "2026-12-07T13:22:29+00:00", "profile": "quick",
        "start_qps": 6.0, "offline_samples_per_second": None, "max_probes": 3, "tolerance": 0.05,
        "probe_settings": {"min_duration_ms": 2000, "min_query_count": 60, "label": "short probes"},
        "probes": [run("probe", 6.0, False, True, index=1, folder="probes/01-6qps"),
                   run("probe", 12.0, False, True, index=2, folder="probes/02-12qps"),
                   run("probe", 24.0, False, False, index=3, folder="probes/03-24qps")],
        "confirm_runs": [run("confirm", 18.0, False, False), run("confirm", 16.2, True, True)],
        "highest_held_qps": 18.0, "lowest_failed_qps": 24.0, "stopped": "probe budget (3) spent",
        "highest_valid_qps": 16.2, "confirmed": True,
    }


@pytest.fixture(scope="module")
def schema(repo_root):
    return json.loads((repo_root / "docs" / "contract" / "server_search.schema.json").read_text())


@pytest.fixture
def run_dir(corpus_dir, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(corpus_dir / "loadgen" / SERVER, target)
    return target


def test_a_search_valid_under_its_schema_is_read_whole_and_survives_the_round_trip(run_dir, schema):
    document = search_document()
    jsonschema.validate(document, schema)
    (run_dir / "fleetbench_server_search.json").write_text(json.dumps(document))
    record = parse_result_dir(str(run_dir))
    assert record.server_search == document
    assert record.is_final and record.valid is True
    assert "fleetbench_server_search.json" in record.source["files"]
    assert ResultRecord.from_dict(record.to_dict()).server_search == document


def test_an_ordinary_server_run_has_no_search(run_dir):
    assert parse_result_dir(str(run_dir)).server_search is None


@pytest.mark.parametrize(("change", "cause"), [
    (lambda d: d.update(probes="many"), "'probes' must be a list of objects"),
    (lambda d: d["confirm_runs"][1].update(qps=-3), "confirm_runs entry 2: 'qps' must be a positive number"),
    (lambda d: d["probes"][0].update(ttft_p99_ns="slow"), "probes entry 1: 'ttft_p99_ns' must be a number"),
    (lambda d: d.update(confirmed="yes"), "'confirmed' must be true or false"),
    (lambda d: d.update(highest_valid_qps=None), "'confirmed' is true but 'highest_valid_qps' is null"),
])
def test_a_search_file_that_cannot_be_used_is_one_warning_and_never_touches_the_verdict(run_dir, schema, change, cause):
    document = search_document()
    change(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)
    (run_dir / "fleetbench_server_search.json").write_text(json.dumps(document))
    record = parse_result_dir(str(run_dir))
    assert record.server_search is None
    assert (record.valid, record.is_final) == (True, True)
    about_search = [w for w in record.warnings if "fleetbench_server_search.json" in w]
    assert len(about_search) == 1 and about_search[0].startswith(f"fleetbench_server_search.json: {cause}")
    assert about_search[0].endswith("; not used")


def test_a_search_file_that_is_not_json_is_a_warning(run_dir):
    (run_dir / "fleetbench_server_search.json").write_text("{not json")
    record = parse_result_dir(str(run_dir))
    assert record.server_search is None and record.is_final
    assert any(w.startswith("fleetbench_server_search.json: not valid JSON") for w in record.warnings)
