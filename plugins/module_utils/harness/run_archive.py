# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pack a finished run's files into one archive on the host, with the list the controller checks.

Only the plain files at the top of the run folder go in (what the harness and LoadGen write):
no links, no folders, no hidden temporary files. Each member is listed with its size and
SHA-256, and the archive with its own, so the controller can refuse a damaged or altered
archive before the host's copy is removed (plugins/plugin_utils/run_unpack.py).
"""
from __future__ import annotations

import hashlib
import os
import stat
import tarfile

CHUNK = 1 << 20


class RunArchiveError(Exception):
    """One-line cause of a failure to pack a run."""


def run_files(output_dir: str) -> list[str]:
    """Plain, visible files at the top of the run folder, sorted."""
    try:
        names = os.listdir(output_dir)
    except OSError:
        return []
    found = []
    for name in names:
        try:
            mode = os.lstat(os.path.join(output_dir, name)).st_mode
        except OSError:
            continue
        if not name.startswith(".") and stat.S_ISREG(mode):
            found.append(name)
    return sorted(found)


def file_sha256(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def build_archive(output_dir: str, archive_path: str) -> dict:
    """Write `archive_path` (gzip tar) from the run folder; return its checksum and member list."""
    members = []
    try:
        with tarfile.open(archive_path, "w:gz", compresslevel=6) as tar:
            for name in run_files(output_dir):
                path = os.path.join(output_dir, name)
                sha256, size = file_sha256(path)
                info = tar.gettarinfo(path, arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
                if info.size != size:
                    raise RunArchiveError(f"{path} changed while it was packed ({size} then {info.size} bytes)")
                members.append({"name": name, "size": size, "sha256": sha256})
        archive_sha256, archive_size = file_sha256(archive_path)
    except OSError as exc:
        raise RunArchiveError(f"cannot pack {output_dir} into {archive_path}: {exc.strerror or exc}") from exc
    return {"archive": archive_path, "archive_sha256": archive_sha256, "archive_size": archive_size, "members": members}
