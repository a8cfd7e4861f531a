"""SHA-256 of files and model folders, to pin what a run measured."""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import tempfile

CHUNK = 1 << 20
CACHE_NAME = "file-sha256.json"


def file_sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def folder_sha256(folder: pathlib.Path, cache_dir: pathlib.Path | None = None) -> str:
    """One digest over every file's relative path and content, in a stable order.

    Every run records its model's digest, and hashing a model of many GB on every run of every
    repeat costs a minute each time: a file whose path, size, modification time and inode are
    those of the last hash is not read again (the cache lives under `cache_dir`, by default
    $XDG_CACHE_HOME/fleetbench-harness; a cache that cannot be read or written is ignored).
    """
    return digest_of_files(folder_file_sha256s(folder, cache_dir))


def folder_file_sha256s(folder: pathlib.Path, cache_dir: pathlib.Path | None = None) -> dict[str, str]:
    """Each file's relative path and SHA-256, in a stable order (cached as folder_sha256 says)."""
    cache = _ChecksumCache(cache_dir or default_cache_dir())
    files = {path.relative_to(folder).as_posix(): cache.sha256(path)
             for path in sorted(p for p in folder.rglob("*") if p.is_file())}
    cache.save()
    return files


def digest_of_files(files: dict[str, str]) -> str:
    """The folder digest from per-file digests: the same as folder_sha256 over the same files."""
    digest = hashlib.sha256()
    for name, sha in files.items():
        digest.update(name.encode() + b"\0")
        digest.update(sha.encode() + b"\n")
    return digest.hexdigest()


def default_cache_dir() -> pathlib.Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "fleetbench-harness"


class _ChecksumCache:
    def __init__(self, folder: pathlib.Path):
        self.path = folder / CACHE_NAME
        self.changed = False
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = {}
        self.entries: dict = entries if isinstance(entries, dict) else {}

    def sha256(self, path: pathlib.Path) -> str:
        stat = path.stat()
        key = str(path.resolve())
        identity = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        entry = self.entries.get(key)
        if isinstance(entry, dict) and entry.get("identity") == identity and isinstance(entry.get("sha256"), str):
            return entry["sha256"]
        sha = file_sha256(path)
        self.entries[key] = {"identity": identity, "sha256": sha}
        self.changed = True
        return sha

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, encoding="utf-8") as handle:
                json.dump(self.entries, handle)
            os.replace(handle.name, self.path)
        except OSError:
            pass
