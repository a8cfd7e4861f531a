"""Benchmark playbook fixtures: run `benchmark.yml` for real and read what it left behind."""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess

import pytest

from tests.pytest_plugins.paths import REPO

ANSIBLE_BIN = REPO / ".venv" / "bin"


@dataclasses.dataclass
class BenchmarkRun:
    """One `ansible-playbook benchmark.yml` run: its process result and its results folder."""

    process: subprocess.CompletedProcess
    results_dir: pathlib.Path
    run_id: str

    @property
    def run_dir(self) -> pathlib.Path:
        return self.results_dir / self.run_id

    @property
    def summary(self) -> dict:
        return json.loads((self.run_dir / "benchmark.json").read_text())

    def records(self, host: str | None = None) -> list[dict]:
        return [r for r in self.summary["records"] if host is None or r["host"] == host]

    def explain(self) -> str:
        return f"exit {self.process.returncode}\n{self.process.stdout[-6000:]}\n{self.process.stderr[-3000:]}"


def benchmark_env(results_dir: pathlib.Path) -> dict:
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               FLEETBENCH_RESULTS_DIR=str(results_dir), PATH=f"{ANSIBLE_BIN}:{env.get('PATH', '')}")
    return env


def benchmark_command(inventory: pathlib.Path | str | list, results_dir: pathlib.Path, run_id: str,
                      extra_vars: dict | None = None) -> list[str]:
    """The README's command, with the results kept apart from the checkout's results/."""
    inventories = inventory if isinstance(inventory, list) else [inventory]
    return [str(ANSIBLE_BIN / "ansible-playbook"), "benchmark.yml",
            *[arg for source in inventories for arg in ("-i", str(source))],
            "-e", json.dumps({"fleetbench_run_id": run_id, "fleetbench_results_dir": str(results_dir),
                              **(extra_vars or {})})]


def run_benchmark(inventory: pathlib.Path | str | list, results_dir: pathlib.Path, run_id: str,
                  extra_vars: dict | None = None, timeout: float = 900) -> BenchmarkRun:
    process = subprocess.run(benchmark_command(inventory, results_dir, run_id, extra_vars), cwd=REPO,
                             capture_output=True, text=True, timeout=timeout, env=benchmark_env(results_dir))
    return BenchmarkRun(process, results_dir, run_id)


def fleet_vars(tiny_model: pathlib.Path, tiny_dataset: pathlib.Path, cache: pathlib.Path) -> dict:
    """Variables for namespaced test hosts: the shared vLLM venv as base, the tiny model and
    dataset copied from the controller, the quick profile, small engines."""
    return {
        "fleetbench_vllm_build": "cpu",
        # Resolved: the test hosts see the venv bound at its real path (a worktree may link it).
        "fleetbench_vllm_base_venv": str((REPO / ".venv-vllm").resolve()),
        "fleetbench_controller_cache": str(cache),
        "fleetbench_model": {"source": "controller", "path": str(tiny_model), "name": "tiny-llama"},
        "fleetbench_dataset": {"source": "controller", "path": str(tiny_dataset)},
        "fleetbench_profile": "quick",
        "fleetbench_scenarios": ["Offline"],
        "fleetbench_engine_args": {"max_model_len": 2048, "enforce_eager": True},
        "fleetbench_harness_environment": {"VLLM_CPU_KVCACHE_SPACE": "1"},
        "fleetbench_run_timeout": 900,
        "fleetbench_poll_interval": 2,
        # Fleet-mode runs wait this long for one agreed start; tiny engines load in well under a minute
        # (a host ready late starts at once and the report says the run was not fleet-wide).
        "fleetbench_fleet_start_lead": 60,
        "fleetbench_drift_policy": "warn",
    }


def write_inventory(path: pathlib.Path, group_vars: dict, host_vars: dict[str, dict]) -> pathlib.Path:
    """A second inventory source over the test hosts' own: the same host names, our variables."""
    path.write_text(json.dumps({"all": {"vars": group_vars, "hosts": host_vars}}, indent=2))
    return path


@pytest.fixture(scope="session")
def localhost_benchmark(vllm_python, artifacts_dir) -> BenchmarkRun:
    """The embedded default (localhost, vLLM CPU, tiny model, Offline + Server, quick), run once."""
    results = artifacts_dir / "benchmark-localhost"
    return run_benchmark(REPO / "inventory" / "localhost", results, "localhost-flow")
