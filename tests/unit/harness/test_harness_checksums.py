"""The model folder's digest: stable, sensitive to content and names, and read once per file state."""
from __future__ import annotations

import hashlib
import os

import pytest

from fleetbench_harness import checksums


@pytest.fixture
def model(tmp_path):
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"a": 1}')
    (folder / "sub" / "weights.bin").write_bytes(b"\x00" * 4096)
    return folder


def expected_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return digest.hexdigest()


def test_the_digest_covers_names_and_contents(model, tmp_path):
    cache = tmp_path / "cache"
    assert checksums.folder_sha256(model, cache) == expected_digest(model)
    (model / "sub" / "weights.bin").rename(model / "sub" / "weights2.bin")
    assert checksums.folder_sha256(model, cache) == expected_digest(model)


def test_an_unchanged_file_is_not_read_again(model, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = checksums.folder_sha256(model, cache)
    read = []
    monkeypatch.setattr(checksums, "file_sha256", lambda path: read.append(path.name) or hashlib.sha256(path.read_bytes()).hexdigest())
    assert checksums.folder_sha256(model, cache) == first and read == []

    config = model / "config.json"
    config.write_text('{"a": 2}')
    os.utime(config, ns=(1, 1))  # same size, new content: the modification time gives it away
    assert checksums.folder_sha256(model, cache) == expected_digest(model) != first
    assert read == ["config.json"]


def test_an_unusable_cache_costs_only_the_time(model, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / checksums.CACHE_NAME).write_text("not json")
    assert checksums.folder_sha256(model, cache) == expected_digest(model)
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    assert checksums.folder_sha256(model, blocked) == expected_digest(model)
