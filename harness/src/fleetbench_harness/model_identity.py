"""What identifies a model folder: its config, every file's digest, and the Hugging Face revision
it was downloaded at, so the plugins can tell the MLPerf reference checkpoint from anything else."""
from __future__ import annotations

import json
import pathlib
import re

from fleetbench_harness.checksums import digest_of_files, folder_file_sha256s

CONFIG_KEYS = ("architectures", "model_type", "hidden_size", "intermediate_size", "num_hidden_layers",
               "num_attention_heads", "num_key_value_heads", "vocab_size", "max_position_embeddings",
               "rope_theta", "rope_scaling", "torch_dtype", "quantization_config")
_REVISION = re.compile(r"^[0-9a-f]{40}$")
_SNAPSHOT = re.compile(r"/models--([^/]+?)--([^/]+)/snapshots/([0-9a-f]{40})(?:/|$)")
# huggingface_hub's snapshot_download(local_dir=...) leaves one metadata file per file it fetched,
# whose first line is the commit it came from.
_DOWNLOAD_METADATA = ".cache/huggingface/download"


def model_record(model: pathlib.Path, declared_derivative: str | None = None) -> dict:
    files = folder_file_sha256s(model)
    return {
        "path": str(model),
        "sha256": digest_of_files(files),
        "files": files,
        "config": model_config(model),
        "hub": hub_origin(model),
        "declared_derivative": declared_derivative,
    }


def model_config(model: pathlib.Path) -> dict:
    try:
        config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: config[key] for key in CONFIG_KEYS if key in config} if isinstance(config, dict) else {}


def hub_origin(model: pathlib.Path) -> dict | None:
    """{repo, revision} when the folder is a Hugging Face download that says which commit it is."""
    match = _SNAPSHOT.search(model.resolve().as_posix())
    if match:
        return {"repo": f"{match.group(1)}/{match.group(2)}", "revision": match.group(3)}
    revisions = set()
    for metadata in (model / _DOWNLOAD_METADATA).glob("*.metadata"):
        try:
            first = metadata.read_text(encoding="utf-8").split("\n", 1)[0].strip()
        except OSError:
            continue
        revisions.add(first)
    if len(revisions) == 1 and _REVISION.match(next(iter(revisions))):
        return {"repo": None, "revision": revisions.pop()}
    return None
