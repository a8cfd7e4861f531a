"""Stand-in GPU hosts for gpu_facts and drift tests: a state file, a loaded-module file and
an nvidia-smi wrapper per host, all under tmp_path. The GPU is the only thing faked."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import typing as t

import pytest

STANDIN = pathlib.Path(__file__).resolve().parents[1] / "standin" / "nvidia_smi.py"
H100 = "NVIDIA H100 80GB HBM3"


class StandinHost(t.NamedTuple):
    name: str
    smi: pathlib.Path          # nvidia-smi wrapper bound to this host's state
    proc_version: pathlib.Path  # the "loaded module" file (stands in for /proc/driver/nvidia/version)
    state: pathlib.Path


def write_loaded_module(path: pathlib.Path, version: str | None, flavour: str = "proprietary") -> None:
    if version is None:
        path.unlink(missing_ok=True)
        return
    kind = "Open Kernel Module for x86_64" if flavour == "open" else "x86_64 Kernel Module"
    path.write_text(f"NVRM version: NVIDIA UNIX {kind}  {version}  Release Build  Tue Mar  4 UTC 2025\n"
                    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n")


@pytest.fixture
def standin_host(tmp_path) -> t.Callable[..., StandinHost]:
    """Factory: standin_host('gpu-01', driver='570.133.20', gpus=[...], loaded='535.247.01')."""

    def make(name: str = "gpu-01", driver: str = "570.133.20", cuda: str = "12.8",
             gpus: list | None = None, loaded: str | None = "same", flavour: str = "proprietary",
             **state_extra) -> StandinHost:
        folder = tmp_path / name
        folder.mkdir()
        proc_version = folder / "loaded-module"
        state = folder / "gpu.json"
        state.write_text(json.dumps({
            "driver_version": driver, "cuda_version": cuda,
            "loaded_module_file": str(proc_version),
            "gpus": [{"name": H100}, {"name": H100}] if gpus is None else gpus,
            **state_extra,
        }))
        write_loaded_module(proc_version, driver if loaded == "same" else loaded, flavour)
        smi = folder / "nvidia-smi"
        smi.write_text(f'#!/bin/sh\nFLEETBENCH_STANDIN_STATE={state} exec {sys.executable} {STANDIN} "$@"\n')
        smi.chmod(0o755)
        return StandinHost(name, smi, proc_version, state)

    return make


@pytest.fixture(scope="session")
def run_ansible_cli(repo_root, ansible_bin):
    """Run an ansible CLI from the checkout (so fleetbench.llm resolves), return the process."""

    def run(tool: str, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"),
                    "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", **(env or {})}
        return subprocess.run([str(ansible_bin / tool), *args], cwd=repo_root, env=full_env,
                              capture_output=True, text=True, timeout=timeout, check=False)

    return run
