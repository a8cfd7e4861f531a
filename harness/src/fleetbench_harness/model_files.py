"""Checks on the model folder before vLLM spends time on it."""
from __future__ import annotations

import pathlib

from fleetbench_harness.errors import BadInput


def check_model_dir(model: pathlib.Path) -> None:
    if not model.is_dir():
        raise BadInput(f"model {model}: no such directory")
    config = model / "config.json"
    try:
        config.read_bytes()
    except OSError as err:
        raise BadInput(f"model {model}: config.json {err.strerror.lower() if err.strerror else 'unreadable'}") from None


def load_tokenizer(model: pathlib.Path):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(model))
    except (OSError, ValueError) as err:
        raise BadInput(f"model {model}: tokenizer cannot be loaded ({' '.join(str(err).split())[:200]})") from None
