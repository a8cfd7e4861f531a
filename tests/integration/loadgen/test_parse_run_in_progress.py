"""A snapshot of a real LoadGen run taken while it runs: what a host looks like mid-run."""
from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir
from tests.pytest_plugins.loadgen_fixtures import MAKE_RUN

RUN_SECONDS = 3


@pytest.fixture(scope="module")
def snapshot_and_final(tmp_path_factory):
    """(copy of the folder taken mid-run, the folder after LoadGen finished)."""
    root = tmp_path_factory.mktemp("in_progress")
    live = root / "live"
    process = subprocess.Popen([
        sys.executable, str(MAKE_RUN), "--scenario", "Server", "--mode", "performance", "--output", str(live),
        "--model", "llama3_1-8b", "--tokens", "16", "--setting", f"min_duration_ms={RUN_SECONDS * 1000}",
        "--setting", "min_query_count=100", "--setting", "server_target_qps=100",
    ])
    try:
        deadline = time.monotonic() + RUN_SECONDS
        detail = live / "mlperf_log_detail.txt"
        while time.monotonic() < deadline and b"generated_query_count" not in (detail.read_bytes() if detail.exists() else b""):
            time.sleep(0.05)
        snapshot = root / "snapshot"
        shutil.copytree(live, snapshot)
        assert process.poll() is None, "LoadGen finished before the snapshot: raise RUN_SECONDS"
    finally:
        process.wait(timeout=120)
    return snapshot, live


def _status(phase):
    now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    return {"phase": phase, "samples_issued": 40, "samples_completed": 39, "tokens_generated": 624,
            "elapsed_s": 1.2, "tokens_per_second": 520.0, "pid": 4242, "updated_at": now}


def test_mid_run_folder_without_status_file_is_partial_and_says_where_it_stopped(snapshot_and_final):
    snapshot, _ = snapshot_and_final
    record = parse_result_dir(str(snapshot))
    assert record.status == "partial" and record.valid is None and record.headline is None
    messages = [f"{p['file']}: {p['message']}" for p in record.problems]
    assert "mlperf_log_summary.txt: file is empty" in messages
    assert any("before LoadGen logged a result" in m for m in messages)
    assert record.scenario == "Server" and record.settings["target_qps"] == 100


def test_mid_run_folder_with_a_running_status_is_running_without_problems(snapshot_and_final, tmp_path):
    snapshot, _ = snapshot_and_final
    folder = tmp_path / "run"
    shutil.copytree(snapshot, folder)
    (folder / "fleetbench_status.json").write_text(json.dumps(_status("running")))
    record = parse_result_dir(str(folder), stale_after_s=300)
    assert record.status == "running" and record.problems == []
    assert (record.samples_issued, record.samples_completed) == (40, 39)
    assert record.errors == []  # one sample in flight is not a lost sample
    assert not record.is_final


def test_the_same_run_once_finished_is_complete(snapshot_and_final):
    _, final = snapshot_and_final
    record = parse_result_dir(str(final))
    assert record.status == "complete" and record.problems == []
    assert record.samples_issued == record.samples_completed >= 100
