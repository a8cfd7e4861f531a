"""A result folder's files that link out of it are refused, naming the file (issue 13)."""
from __future__ import annotations

import os

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.folder_links import link_outside
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import LoadGenDirError, parse_result_dir
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.result_task import run_loadgen_result

DETAIL = "mlperf_log_detail.txt"


def test_a_detail_log_linked_to_etc_passwd_is_refused_and_not_read(offline_run):
    (offline_run / DETAIL).unlink()
    os.symlink("/etc/passwd", offline_run / DETAIL)
    record = parse_result_dir(str(offline_run))
    assert not record.is_final
    assert {"file": DETAIL, "line": None,
            "message": "refused: a symbolic link to /etc/passwd, outside the result folder"} in record.problems
    assert "root:" not in str(record.to_dict())


def test_a_folder_whose_only_log_links_outside_fails_in_one_line(offline_run, tmp_path):
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    os.symlink(offline_run / DETAIL, lonely / DETAIL)
    with pytest.raises(LoadGenDirError, match=f"{DETAIL} refused: a link to .*outside the folder"):
        parse_result_dir(str(lonely))
    outcome = run_loadgen_result(str(lonely), None, 0, True)
    assert "\n" not in outcome.failure and DETAIL in outcome.failure


def test_links_that_stay_inside_the_folder_are_read(offline_run):
    (offline_run / "kept").mkdir()
    (offline_run / DETAIL).rename(offline_run / "kept" / DETAIL)
    os.symlink(os.path.join("kept", DETAIL), offline_run / DETAIL)
    assert link_outside(str(offline_run), DETAIL) is None
    assert parse_result_dir(str(offline_run)).is_final


def test_a_link_through_a_parent_folder_is_outside(offline_run):
    os.symlink(os.path.join("..", "elsewhere.txt"), offline_run / "accuracy.txt")
    assert link_outside(str(offline_run), "accuracy.txt") == str(offline_run.parent / "elsewhere.txt")
