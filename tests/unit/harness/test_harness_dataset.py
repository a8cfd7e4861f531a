import hashlib
import json

import pytest

from fleetbench_harness.dataset import load_dataset
from fleetbench_harness.errors import BadInput

SAMPLES = [
    {"input": "Article one.", "tok_input": [0, 5, 6], "output": "One."},
    {"input": "Article two.", "tok_input": [0, 7, 8, 9], "output": "Two."},
]


@pytest.fixture
def dataset_file(tmp_path):
    path = tmp_path / "cnn_eval.json"
    path.write_text(json.dumps(SAMPLES))
    return path


def test_loads_the_mlperf_fields(dataset_file):
    dataset = load_dataset(dataset_file)
    assert len(dataset) == 2
    assert dataset.token_ids == [[0, 5, 6], [0, 7, 8, 9]]
    assert dataset.references == ["One.", "Two."]
    assert dataset.sha256 == hashlib.sha256(dataset_file.read_bytes()).hexdigest()


def test_total_sample_count_keeps_the_first_samples(dataset_file):
    assert load_dataset(dataset_file, total_sample_count=1).texts == ["Article one."]


def test_matching_checksum_is_accepted_in_any_case(dataset_file):
    digest = hashlib.sha256(dataset_file.read_bytes()).hexdigest().upper()
    assert len(load_dataset(dataset_file, expected_sha256=digest)) == 2


def test_checksum_mismatch_names_file_and_both_digests(dataset_file):
    with pytest.raises(BadInput, match=rf"dataset {dataset_file}: sha256 [0-9a-f]{{64}} does not match the expected 00ff"):
        load_dataset(dataset_file, expected_sha256="00ff")


@pytest.mark.parametrize(("content", "cause"), [
    ("[{\"input\": \"x\", ", "not readable JSON"),
    ("{}", "expected a non-empty JSON list"),
    ("[]", "expected a non-empty JSON list"),
    ('[{"input": "x", "output": "y"}]', "sample 0 lacks tok_input"),
    ('[{"input": "x", "tok_input": [], "output": "y"}]', "sample 0 tok_input is not a non-empty list"),
    ('[{"input": "x", "tok_input": [1, "2"], "output": "y"}]', "sample 0 tok_input is not a non-empty list"),
    ('[1]', "sample 0 is not an object"),
    (b"\xff\xfe\x00garbage", "not readable JSON"),
])
def test_corrupt_dataset_is_bad_input_with_the_cause(tmp_path, content, cause):
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(BadInput, match=cause):
        load_dataset(path)


def test_missing_dataset_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        load_dataset(tmp_path / "absent.json")


def test_inputs_digest_follows_the_sample_inputs_not_the_file_layout(tmp_path, dataset_file):
    spaced = tmp_path / "spaced.json"
    spaced.write_text(json.dumps(SAMPLES, indent=4))
    assert load_dataset(spaced).sha256 != load_dataset(dataset_file).sha256
    assert load_dataset(spaced).inputs_sha256 == load_dataset(dataset_file).inputs_sha256
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps([SAMPLES[0], {**SAMPLES[1], "input": "Article three."}]))
    assert load_dataset(changed).inputs_sha256 != load_dataset(dataset_file).inputs_sha256
