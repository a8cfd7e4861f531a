"""The one atomic writer: whole files only, and no debris from writers killed before."""
from __future__ import annotations

import os
import time

from ansible_collections.fleetbench.llm.plugins.module_utils.atomic_file import STALE_AFTER_S, write_atomically


def test_a_temporary_file_left_by_a_killed_writer_is_removed_on_the_next_write(tmp_path):
    target = tmp_path / "run" / "results.json"
    target.parent.mkdir()
    left = target.parent / ".tmp-k1ll3d-results.json"
    left.write_text("x" * 1000)
    old = time.time() - STALE_AFTER_S - 5
    os.utime(left, (old, old))

    write_atomically(str(target), "{}\n")

    assert sorted(p.name for p in target.parent.iterdir()) == ["results.json"]
    assert target.read_text() == "{}\n"


def test_a_temporary_file_still_being_written_is_left_alone(tmp_path):
    busy = tmp_path / ".tmp-busy-results.json"
    busy.write_text("partial")
    other = tmp_path / ".tmp-old-report.md"
    other.write_text("someone else's")
    os.utime(other, (0, 0))

    write_atomically(str(tmp_path / "results.json"), "{}\n")

    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-busy-results.json", ".tmp-old-report.md", "results.json"]


def test_a_failed_write_keeps_the_previous_file_whole_and_leaves_nothing(tmp_path):
    target = tmp_path / "results.json"
    target.write_text("previous\n")
    try:
        write_atomically(str(target), "\udcff not encodable")
    except UnicodeEncodeError:
        pass
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
