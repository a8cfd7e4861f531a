import json
import os
import pathlib

import jsonschema
import pytest

from fleetbench_harness.status import Progress, StatusFile, write_json_atomically

SCHEMA = json.loads((pathlib.Path(__file__).parents[3] / "docs/contract/status.schema.json").read_text())


def read(path: pathlib.Path) -> dict:
    return json.loads((path / "fleetbench_status.json").read_text())


def test_every_phase_written_matches_the_contract_schema(tmp_path):
    progress = Progress()
    status = StatusFile(tmp_path, progress, interval_s=60)
    status.start()
    jsonschema.validate(read(tmp_path), SCHEMA)
    for phase in ("loading_dataset", "loading_model", "warmup", "waiting", "running", "scoring"):
        status.set_phase(phase)
        assert read(tmp_path)["phase"] == phase
        jsonschema.validate(read(tmp_path), SCHEMA)
    progress.issued(3)
    progress.completed(128)
    status.finish(0)
    final = read(tmp_path)
    jsonschema.validate(final, SCHEMA)
    assert final["phase"] == "done"
    assert (final["samples_issued"], final["samples_completed"], final["tokens_generated"]) == (3, 1, 128)
    assert final["pid"] == os.getpid()
    assert "error" not in final and "exit_code" not in final


def test_failure_is_recorded_with_exit_code_and_one_line_cause(tmp_path):
    status = StatusFile(tmp_path, Progress(), interval_s=60)
    status.start()
    status.finish(3, "vLLM ran out of memory while starting: x")
    final = read(tmp_path)
    jsonschema.validate(final, SCHEMA)
    assert (final["phase"], final["exit_code"], final["error"]) == ("failed", 3, "vLLM ran out of memory while starting: x")


def test_schema_rejects_a_failed_status_without_its_cause(tmp_path):
    status = StatusFile(tmp_path, Progress(), interval_s=60)
    status.start()
    data = read(tmp_path) | {"phase": "failed"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_atomic_write_leaves_no_temporary_file_and_replaces_whole_content(tmp_path):
    target = tmp_path / "x.json"
    write_json_atomically(target, {"a": "long" * 100})
    write_json_atomically(target, {"b": 1})
    assert json.loads(target.read_text()) == {"b": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_tokens_per_second_counts_from_first_issue_to_last_completion():
    progress = Progress()
    assert progress.tokens_per_second() == 0.0
    progress.issued(2)
    progress.running_since -= 2.0  # as if issued two seconds ago
    progress.completed(100)
    progress.completed(100)
    assert 90 < progress.tokens_per_second() <= 100
