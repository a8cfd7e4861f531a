# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way this collection writes a file that others read while it changes.

Temporary sibling, fsync, rename: a reader sees the old file or the new one, never half of
one, and after a power cut the rename never lands before the data. A writer killed between
mkstemp and rename leaves its temporary file behind (tens of MB for a large results.json):
the next write of the same file removes those left over from earlier writers.
"""
from __future__ import annotations

import glob
import json
import os
import tempfile
import time
import typing as t

TEMP_PREFIX = ".tmp-"
# A temporary file untouched this long is debris; one being written is touched all the time.
STALE_AFTER_S = 60.0


def write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix="-" + os.path.basename(path))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def write_json_atomically(path: str, document: t.Any, default: t.Callable[[t.Any], t.Any] | None = None) -> None:
    """The document as indented JSON with sorted keys and a final newline: every JSON file the
    collection writes has this one form."""
    write_atomically(path, json.dumps(document, indent=2, sort_keys=True, default=default) + "\n")


def remove_stale_temporaries(path: str, now: float | None = None) -> list[str]:
    """Remove what killed writers of `path` left; return the paths removed."""
    pattern = os.path.join(glob.escape(os.path.dirname(path) or "."), TEMP_PREFIX + "*" + glob.escape(os.path.basename(path)))
    cutoff = (time.time() if now is None else now) - STALE_AFTER_S
    removed = []
    for candidate in glob.glob(pattern):
        try:
            if os.lstat(candidate).st_mtime < cutoff:
                os.unlink(candidate)
                removed.append(candidate)
        except FileNotFoundError:
            continue  # another writer's cleanup got there first
    return removed


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable; a file system that cannot fsync a folder is left as it is."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
