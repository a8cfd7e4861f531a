"""The MLPerf Llama-3.1-8B dataset: `cnn_eval.json`, a list of {input, tok_input, output}."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import pathlib

from fleetbench_harness.checksums import file_sha256
from fleetbench_harness.errors import BadInput

REQUIRED_FIELDS = ("input", "tok_input", "output")
TOKENIZER_PROBES = 3


@dataclasses.dataclass
class Dataset:
    path: pathlib.Path
    sha256: str
    texts: list[str]
    token_ids: list[list[int]]
    references: list[str]

    @property
    def inputs_sha256(self) -> str:
        """A digest of the sample inputs in order, whatever the file's JSON layout: it tells the
        MLPerf set from any other set of the same size (docs/contract/README.md)."""
        digest = hashlib.sha256()
        for text in self.texts:
            digest.update(text.encode("utf-8") + b"\0")
        return digest.hexdigest()

    def __len__(self) -> int:
        return len(self.token_ids)


def load_dataset(path: pathlib.Path, expected_sha256: str | None = None,
                 total_sample_count: int | None = None) -> Dataset:
    """Read and validate the dataset; the checksum is verified when one is given."""
    if not path.is_file():
        raise BadInput(f"dataset {path}: no such file")
    sha256 = file_sha256(path)
    if expected_sha256 and sha256 != expected_sha256.lower():
        raise BadInput(f"dataset {path}: sha256 {sha256} does not match the expected {expected_sha256}")
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadInput(f"dataset {path}: not readable JSON ({err})") from None
    if not isinstance(records, list) or not records:
        raise BadInput(f"dataset {path}: expected a non-empty JSON list of samples")
    if total_sample_count is not None:
        records = records[:total_sample_count]
    for index, record in enumerate(records):
        _check_record(path, index, record)
    return Dataset(
        path=path,
        sha256=sha256,
        texts=[r["input"] for r in records],
        token_ids=[r["tok_input"] for r in records],
        references=[r["output"] for r in records],
    )


def _check_record(path: pathlib.Path, index: int, record: object) -> None:
    if not isinstance(record, dict):
        raise BadInput(f"dataset {path}: sample {index} is not an object")
    missing = [field for field in REQUIRED_FIELDS if field not in record]
    if missing:
        raise BadInput(f"dataset {path}: sample {index} lacks {', '.join(missing)}")
    ids = record["tok_input"]
    if not ids or not isinstance(ids, list) or not all(isinstance(i, int) and i >= 0 for i in ids):
        raise BadInput(f"dataset {path}: sample {index} tok_input is not a non-empty list of token ids")


def check_tokenizer_matches(dataset: Dataset, tokenizer, model_dir: pathlib.Path) -> None:
    """The pre-tokenised ids must come from the model's tokenizer, or the model reads noise."""
    vocab_size = len(tokenizer)
    for index, ids in enumerate(dataset.token_ids):
        if max(ids) >= vocab_size:
            raise BadInput(
                f"dataset {dataset.path}: sample {index} has token id {max(ids)} but the tokenizer "
                f"in {model_dir} has {vocab_size} tokens (dataset tokenised for another model?)")
    for index in range(min(TOKENIZER_PROBES, len(dataset))):
        text, ids = dataset.texts[index], dataset.token_ids[index]
        candidates = (tokenizer.encode(text, add_special_tokens=True),
                      tokenizer.encode(text, add_special_tokens=False))
        if ids not in candidates:
            raise BadInput(
                f"dataset {dataset.path}: sample {index} tok_input is not what the tokenizer in "
                f"{model_dir} makes of its input (dataset tokenised for another model?)")
