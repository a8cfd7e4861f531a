"""What the run record says about the model: config, file digests, Hugging Face revision."""
from __future__ import annotations

import hashlib
import json

from fleetbench_harness.checksums import folder_sha256
from fleetbench_harness.model_identity import model_record

REVISION = "be673f326cab4cd22ccfef76109faf68e41aa5f1"


def make_model(folder, **config):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"], "hidden_size": 256,
                                                    "unrelated": 1, **config}))
    (folder / "model.safetensors").write_bytes(b"weights")
    return folder


def test_every_file_digest_and_the_identifying_config_keys_are_recorded(tmp_path):
    model = make_model(tmp_path / "m", num_hidden_layers=2)
    record = model_record(model)
    assert record["files"]["model.safetensors"] == hashlib.sha256(b"weights").hexdigest()
    assert record["sha256"] == folder_sha256(model)
    assert record["config"] == {"architectures": ["LlamaForCausalLM"], "hidden_size": 256, "num_hidden_layers": 2}
    assert record["hub"] is None and record["declared_derivative"] is None


def test_a_hub_download_names_the_commit_it_came_from(tmp_path):
    model = make_model(tmp_path / "m")
    metadata = model / ".cache" / "huggingface" / "download"
    metadata.mkdir(parents=True)
    (metadata / "config.json.metadata").write_text(f"{REVISION}\netag\n1700000000.0\n")
    assert model_record(model)["hub"] == {"repo": None, "revision": REVISION}


def test_a_hub_cache_snapshot_names_repo_and_commit(tmp_path):
    model = make_model(tmp_path / "models--meta-llama--Llama-3.1-8B-Instruct" / "snapshots" / REVISION)
    assert model_record(model, "FP8")["hub"] == {"repo": "meta-llama/Llama-3.1-8B-Instruct", "revision": REVISION}
    assert model_record(model, "FP8")["declared_derivative"] == "FP8"
