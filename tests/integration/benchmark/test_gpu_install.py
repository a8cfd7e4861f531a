"""The GPU install path, for real, without a GPU: harness_deploy's venv_from_index installs the
pinned CUDA build of vLLM from PyPI (several GB) and the harness's dependencies, then the
harness stops at engine start with one line saying no GPU is visible. `make test-gpu-install`
runs it (about 15 minutes with a fresh pip cache); `./dev test` and CI leave it out."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.pytest_plugins.benchmark import ANSIBLE_BIN, benchmark_env
from tests.pytest_plugins.paths import REPO

pytestmark = [pytest.mark.gpu_install, pytest.mark.slow]

PLAYBOOK = "tests/integration/benchmark/playbooks/deploy_only.yml"


def pypi_only_env(results) -> dict:
    """This machine's pip configuration may offer local CPU wheels of torch; a GPU host gets
    PyPI's CUDA build, so pip here reads no configuration file and no local wheel folder."""
    env = benchmark_env(results)
    env.pop("PIP_FIND_LINKS", None)
    env.update(PIP_CONFIG_FILE=os.devnull)
    return env


def test_the_gpu_set_installs_through_the_role_and_the_harness_says_no_gpu(tmp_path, tiny_model, tiny_dataset):
    root = tmp_path / "opt"
    extra = {"fleetbench_vllm_build": "gpu", "fleetbench_vllm_base_venv": "", "fleetbench_harness_root": str(root),
             "fleetbench_controller_cache": str(tmp_path / "cache"), "fleetbench_pip_extra_index_url": "",
             "fleetbench_model": {"source": "controller", "path": str(tiny_model), "name": "tiny-llama"},
             "fleetbench_dataset": {"source": "controller", "path": str(tiny_dataset)}}
    deployed = subprocess.run([str(ANSIBLE_BIN / "ansible-playbook"), PLAYBOOK, "-i", "inventory/localhost",
                               "-e", json.dumps(extra)], cwd=REPO, capture_output=True, text=True, timeout=3000,
                              env=pypi_only_env(tmp_path))
    assert deployed.returncode == 0, deployed.stdout[-4000:]

    venv = root / "venvs" / "harness-0.1.0-gpu"
    frozen = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    assert {"vllm==0.32.0", "torch==2.13.0", "nvidia-ml-py==13.615.71"} <= set(frozen), frozen

    run = subprocess.run([str(venv / "bin" / "fleetbench-harness"), "run", "--scenario", "Offline", "--mode", "performance",
                          "--model", str(tiny_model), "--dataset", str(tiny_dataset), "--output", str(tmp_path / "run"),
                          "--profile", "quick"], capture_output=True, text=True, timeout=900, check=False)
    said = run.stderr.strip().splitlines()
    assert run.returncode == 3, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert said and "no GPU is visible to vLLM's CUDA build" in said[-1], run.stderr[-3000:]
