"""fleetbench.llm.loadgen_result run the way Ansible runs it: `ansible localhost -m ...`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest


def run_module(repo_root, ansible_bin, args: str, *extra: str) -> tuple[int, dict, str]:
    """(exit code, module result, stderr) of an ad-hoc run from the checkout.

    The ad-hoc output drops `failed` from the result and says FAILED in its header instead,
    so it is put back from there.
    """
    env = {**os.environ, "ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_CONFIG": str(repo_root / "ansible.cfg")}
    completed = subprocess.run(
        [str(ansible_bin / "ansible"), "localhost", "-m", "fleetbench.llm.loadgen_result", "-a", args, *extra],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    header, _, body = completed.stdout.partition(" => ")
    assert body, f"no module result in output:\n{completed.stdout}\n{completed.stderr}"
    assert "Traceback" not in completed.stdout + completed.stderr
    result = json.loads(body)
    result["failed"] = "FAILED" in header
    return completed.returncode, result, completed.stderr


def test_module_returns_the_record_and_its_top_level_keys(repo_root, ansible_bin, loadgen_runs):
    code, result, _ = run_module(repo_root, ansible_bin, f"path={loadgen_runs['server_performance']}")
    assert code == 0 and result["failed"] is False
    assert result["changed"] is False
    assert (result["scenario"], result["mode"], result["status"]) == ("Server", "performance", "complete")
    # VALID unless a stalled machine broke the latency bound; either way LoadGen's verdict.
    assert result["valid"] is result["loadgen"]["valid"] is (result["loadgen"]["invalid_reasons"] == [])
    assert result["samples_per_second"] == result["loadgen"]["samples_per_second"] > 0
    assert result["tokens_per_second"] == result["loadgen"]["headline"]["value"]
    assert result["loadgen"]["ttft_ns"]["p99"] > 0
    assert result["is_final"] is True


def test_what_names_the_run_goes_in_as_options_and_comes_back_in_the_record(repo_root, ansible_bin, loadgen_runs):
    args = (f"path={loadgen_runs['server_performance']} host=gpu-07 run_id=r3 repeat=2 "
            "scenario_label=Interactive fleet_mode=fleet")
    code, result, _ = run_module(repo_root, ansible_bin, args)
    assert code == 0
    record = result["loadgen"]
    assert (record["host"], record["run_id"], record["repeat"]) == ("gpu-07", "r3", 2)
    assert (record["scenario"], record["scenario_label"], record["fleet_mode"]) == ("Server", "Interactive", "fleet")
    assert result["not_final_reason"] is None


def test_a_run_parsed_alone_names_no_host_and_runs_per_host(repo_root, ansible_bin, loadgen_runs):
    _, result, _ = run_module(repo_root, ansible_bin, f"path={loadgen_runs['offline_performance']}")
    assert (result["loadgen"]["host"], result["loadgen"]["run_id"], result["loadgen"]["repeat"]) == (None, None, None)
    assert result["loadgen"]["fleet_mode"] == "per_host"


def test_check_mode_gives_the_same_result(repo_root, ansible_bin, loadgen_runs):
    path = f"path={loadgen_runs['offline_performance']}"
    _, normal = run_module(repo_root, ansible_bin, path)[:2]
    code, checked, _ = run_module(repo_root, ansible_bin, path, "--check")
    assert code == 0
    assert checked["loadgen"] == normal["loadgen"]


def test_invalid_run_is_final_and_not_valid(repo_root, ansible_bin, loadgen_runs):
    code, result, _ = run_module(repo_root, ansible_bin, f"path={loadgen_runs['offline_invalid']} require_complete=true")
    assert code == 0
    assert result["valid"] is False and result["is_final"] is True
    assert result["loadgen"]["invalid_reasons"][0]["check"] == "min_duration"
    assert result["run_failure"]["outcome"] == "invalid"
    assert result["run_failure"]["cause"].startswith("LoadGen INVALID: ")


def test_benchmark_option_is_recorded(repo_root, ansible_bin, loadgen_runs):
    _, result, _ = run_module(repo_root, ansible_bin, f"path={loadgen_runs['offline_accuracy']} benchmark=llama3_1-8b")
    assert result["loadgen"]["benchmark"] == "llama3_1-8b"
    assert result["mode"] == "accuracy" and result["valid"] is None


def test_missing_folder_fails_with_one_line(repo_root, ansible_bin, tmp_path):
    code, result, _ = run_module(repo_root, ansible_bin, f"path={tmp_path}/absent")
    assert code != 0 and result["failed"] is True
    assert result["msg"] == f"{tmp_path}/absent: no such directory"


@pytest.fixture
def truncated_run(loadgen_runs, tmp_path):
    run = tmp_path / "server"
    shutil.copytree(loadgen_runs["server_performance"], run)
    detail = run / "mlperf_log_detail.txt"
    data = detail.read_bytes()
    detail.write_bytes(data[: len(data) // 2])
    return run


def test_problems_become_warnings_and_numbers_are_kept(repo_root, ansible_bin, truncated_run):
    code, result, stderr = run_module(repo_root, ansible_bin, f"path={truncated_run}")
    assert code == 0
    assert result["status"] == "partial" and result["is_final"] is False
    assert result["samples_per_second"] > 0  # from the summary
    assert "mlperf_log_detail.txt line" in stderr and "cut off mid-line" in stderr
    assert result["not_final_reason"].startswith("status is partial, ")
    assert result["run_failure"]["outcome"] == "incomplete"
    assert result["run_failure"]["cause"].startswith("result partial: ")


def test_require_complete_fails_on_a_partial_run_but_returns_the_record(repo_root, ansible_bin, truncated_run):
    code, result, _ = run_module(repo_root, ansible_bin, f"path={truncated_run} require_complete=true")
    assert code != 0 and result["failed"] is True
    assert result["msg"].startswith(f"{truncated_run}: LoadGen result is not final (status is partial, ")
    assert "mlperf_log_detail.txt line" in result["msg"]
    assert result["loadgen"]["samples_per_second"] > 0


def test_module_reads_a_published_corpus_run(repo_root, ansible_bin, corpus_dir):
    folder = corpus_dir / "loadgen" / "Lenovo_v5.1_SR680a_V3_B200SXMx8_TRT_llama2-70b-99.9_Server_ranging_INVALID"
    code, result, _ = run_module(repo_root, ansible_bin, f"path={folder}")
    assert code == 0
    assert result["valid"] is False
    assert result["tokens_per_second"] == pytest.approx(99204.8)
    assert {r["check"] for r in result["loadgen"]["invalid_reasons"]} >= {"performance_constraints", "early_stopping"}
