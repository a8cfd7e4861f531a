"""SHA-256 of files and model folders, to pin what a run measured."""
from __future__ import annotations

import hashlib
import pathlib

CHUNK = 1 << 20


def file_sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def folder_sha256(folder: pathlib.Path) -> str:
    """One digest over every file's relative path and content, in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(file_sha256(path).encode() + b"\n")
    return digest.hexdigest()
