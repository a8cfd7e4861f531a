"""Slices of one run: each writes its own folder; the merge refuses by name a slice missing or
still running, and yields the document one job over the same hosts would have written."""
from __future__ import annotations

import json
import multiprocessing

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.drift import drift_report
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.collector import TaskResultCollector
from ansible_collections.fleetbench.llm.plugins.module_utils.run_slices import (
    FINISHED,
    RUNNING,
    SliceError,
    check_complete,
    merge,
    read_slices,
    slice_dir,
    write_state,
)
from tests.unit.plugins.module_utils.gpu.test_drift import _facts


def _record(host: str, value: float) -> dict:
    return {"schema_version": 1, "run_id": "r1", "host": host, "scenario": "Offline", "mode": "performance",
            "repeat": 1, "valid": True, "headline": {"name": "tokens_per_second", "value": value}}


def _collector(hosts: dict[str, float], run_slice: dict | None) -> TaskResultCollector:
    """What the results callback holds after a benchmark of `hosts` (one slice, or one job)."""
    collector = TaskResultCollector(started_at="2026-01-01T00:00:00Z", playbook="benchmark.yml")
    collector.run_slice = run_slice
    for host in hosts:
        collector.add_task_result(host, {"ansible_facts": {"fleetbench_gpu": _facts(driver="535.247.01" if host == "n3" else "570.133.20")}})
    collector.drift = drift_report({h: collector.hosts[h]["gpu"] for h in hosts}, fields=["driver", "gpu_count"])
    for host, value in hosts.items():
        collector.add_record(host, _record(host, value))
    collector.finished_at = "2026-01-01T00:10:00Z"
    return collector


def _write_slice(results_dir, number: int, hosts: dict[str, float], state: str = FINISHED) -> None:
    run_slice = {"name": f"slice-{number}", "count": 3, "run_id": "r1", "hosts": sorted(hosts), "job": None}
    write_state(str(results_dir / "r1"), run_slice, RUNNING, "2026-01-01T00:00:00Z")
    _collector(hosts, run_slice).write(str(results_dir))
    if state == FINISHED:
        write_state(str(results_dir / "r1"), run_slice, FINISHED, "2026-01-01T00:10:00Z")


SLICES = {1: {"n1": 100.0}, 2: {"n2": 110.0}, 3: {"n3": 60.0}}


def _checked(results_dir, expected=None):
    slices = read_slices(str(results_dir / "r1"))
    check_complete(str(results_dir / "r1"), slices, expected)
    return slices


def test_a_slice_writes_only_inside_its_own_folder(tmp_path):
    _write_slice(tmp_path, 2, SLICES[2])
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["r1/slices/slice-2/results.json", "r1/slices/slice-2/state.json"]


def test_merged_slices_equal_one_job_over_the_same_hosts(tmp_path):
    for number, hosts in SLICES.items():
        _write_slice(tmp_path, number, hosts)
    merged = merge("r1", _checked(tmp_path))
    one_job = _collector({h: v for hosts in SLICES.values() for h, v in hosts.items()}, None).document("r1")
    assert [s["slice"] for s in merged.pop("slices")] == ["slice-1", "slice-2", "slice-3"]
    assert merged == one_job
    assert merged["drift"]["differing_fields"] == ["driver"] and list(merged["drift"]["fields"][0]["deviations"]) == ["n3"]


def test_a_slice_still_running_is_refused_by_name_and_hosts(tmp_path):
    _write_slice(tmp_path, 1, SLICES[1])
    _write_slice(tmp_path, 2, SLICES[2], state=RUNNING)
    _write_slice(tmp_path, 3, SLICES[3])
    with pytest.raises(SliceError, match=r"slice slice-2 \(n2\) is still running"):
        _checked(tmp_path)


def test_a_missing_slice_is_named(tmp_path):
    _write_slice(tmp_path, 1, SLICES[1])
    _write_slice(tmp_path, 3, SLICES[3])
    with pytest.raises(SliceError, match=r"2 of 3 slices found \(slice-1, slice-3\); missing: slice-2"):
        _checked(tmp_path)


def test_a_slice_that_never_started_counts_against_the_expected_number(tmp_path):
    for number in (1, 2):
        _write_slice(tmp_path, number, SLICES[number])
    for path in (tmp_path / "r1" / "slices").rglob("state.json"):
        state = json.loads(path.read_text())
        path.write_text(json.dumps({**state, "count": None}))
    with pytest.raises(SliceError, match="missing: slice-3"):
        _checked(tmp_path, expected=3)


def test_a_finished_slice_without_results_is_refused(tmp_path):
    _write_slice(tmp_path, 1, SLICES[1])
    (tmp_path / "r1" / "slices" / "slice-1" / "results.json").unlink()
    with pytest.raises(SliceError, match=r"slice slice-1 \(n1\) finished without results: .*results.json not found"):
        _checked(tmp_path)


def test_two_slices_sharing_a_host_are_refused(tmp_path):
    _write_slice(tmp_path, 1, SLICES[1])
    _write_slice(tmp_path, 2, {"n1": 90.0})
    _write_slice(tmp_path, 3, SLICES[3])
    with pytest.raises(SliceError, match="host n1 is in slices slice-1 and slice-2"):
        _checked(tmp_path)


def test_no_slices_at_all_says_where_it_looked(tmp_path):
    with pytest.raises(SliceError, match=r"r1: no slices found under slices/"):
        _checked(tmp_path)


def test_a_damaged_state_file_names_the_file(tmp_path):
    _write_slice(tmp_path, 1, SLICES[1])
    (tmp_path / "r1" / "slices" / "slice-1" / "state.json").write_text("{not json")
    with pytest.raises(SliceError, match=r"slice-1/state.json cannot be read"):
        read_slices(str(tmp_path / "r1"))


def test_slices_sort_by_number_not_by_text(tmp_path):
    for number in (10, 2, 1):
        _write_slice(tmp_path, number, {f"n{number}": 1.0})
    assert [s["name"] for s in read_slices(str(tmp_path / "r1"))] == ["slice-1", "slice-2", "slice-10"]


def _write_many(results_dir: str, number: int) -> None:
    import pathlib
    for _ in range(20):
        _write_slice(pathlib.Path(results_dir), number, {f"n{number}": float(number)})


def test_slices_writing_at_the_same_moment_never_lose_each_others_files(tmp_path):
    workers = [multiprocessing.get_context("fork").Process(target=_write_many, args=(str(tmp_path), n)) for n in (1, 2, 3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    merged = merge("r1", _checked(tmp_path))
    assert sorted(merged["hosts"]) == ["n1", "n2", "n3"] and len(merged["records"]) == 3
    assert not list((tmp_path / "r1").rglob(".tmp-*"))
    assert slice_dir(str(tmp_path / "r1"), "slice-1").endswith("r1/slices/slice-1")
