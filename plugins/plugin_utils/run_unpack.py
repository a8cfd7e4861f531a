# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a run's archive fetched from a host, then unpack it into the run's results folder.

Nothing lands in the folder until every check passed: the archive's SHA-256 equals the one the
host computed, its members are exactly the host's list, each a plain file with a plain name (no
absolute path, no '..', no folder, no link or device), each with the listed size and SHA-256.
Members are unpacked into a staging folder first and moved into place only when all are good,
so a bad archive leaves the folder as it was (and the host keeps its copy).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile

CHUNK = 1 << 20


class RunUnpackError(Exception):
    """One-line cause naming the archive (and member) that was refused."""


def plain_name_problem(name: object) -> str | None:
    """Why `name` cannot be a file directly inside the results folder, or None."""
    if not isinstance(name, str) or not name:
        return "an empty or missing name"
    if name.startswith("/"):
        return "an absolute path"
    if name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        return "a path outside the run folder" if ".." in name else "a name with a folder in it"
    return None


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unpack_verified(archive: str, expected_sha256: str, manifest: list, dest: str, where: str = "") -> list[str]:
    """Unpack `archive` into `dest` after checking it against the host's `manifest`; the names unpacked.
    `where` names the archive in error messages (host and run folder)."""
    where = where or archive
    expected = _check_manifest(where, manifest)
    actual = sha256_of(archive)
    if actual != expected_sha256:
        raise RunUnpackError(f"{where}: archive checksum {actual[:12]} differs from the host's {str(expected_sha256)[:12]}")
    os.makedirs(dest, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".fleetbench-unpack-", dir=dest)
    try:
        _extract_checked(archive, where, expected, staging)
        for name in expected:
            os.replace(os.path.join(staging, name), os.path.join(dest, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(expected)


def _check_manifest(where: str, manifest: list) -> dict[str, dict]:
    if not isinstance(manifest, list):
        raise RunUnpackError(f"{where}: the host sent no member list")
    expected: dict[str, dict] = {}
    for entry in manifest:
        name = entry.get("name") if isinstance(entry, dict) else None
        problem = plain_name_problem(name)
        if problem:
            raise RunUnpackError(f"{where}: member list names {name!r}, {problem}")
        if name in expected:
            raise RunUnpackError(f"{where}: member list names {name} twice")
        expected[name] = entry
    return expected


def _extract_checked(archive: str, where: str, expected: dict[str, dict], staging: str) -> None:
    seen: set[str] = set()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                _check_member(where, member, expected, seen)
                source = tar.extractfile(member)
                if source is None:
                    raise RunUnpackError(f"{where}: member {member.name} has no content")
                _copy_checked(where, member.name, source, os.path.join(staging, member.name), expected[member.name])
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise RunUnpackError(f"{where}: not a readable archive: {' '.join(str(exc).split())}") from exc
    missing = sorted(set(expected) - seen)
    if missing:
        raise RunUnpackError(f"{where}: members missing from the archive: {', '.join(missing)}")


def _check_member(where: str, member: tarfile.TarInfo, expected: dict, seen: set) -> None:
    problem = plain_name_problem(member.name)
    if problem:
        raise RunUnpackError(f"{where}: member {member.name!r} is {problem}")
    if not member.isreg():
        kind = "a link" if member.issym() or member.islnk() else "not a plain file"
        raise RunUnpackError(f"{where}: member {member.name} is {kind}")
    if member.name not in expected:
        raise RunUnpackError(f"{where}: member {member.name} is not in the host's member list")
    if member.name in seen:
        raise RunUnpackError(f"{where}: member {member.name} appears twice")
    seen.add(member.name)


def _copy_checked(where: str, name: str, source, target: str, entry: dict) -> None:
    digest = hashlib.sha256()
    size = 0
    with open(target, "wb") as handle:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
    if size != entry.get("size") or digest.hexdigest() != entry.get("sha256"):
        raise RunUnpackError(f"{where}: member {name} does not match the host's size and checksum")
