"""What a benchmark was measured on: one description shared by every section of BENCHMARKS.md."""
from __future__ import annotations

import json
import os
import pathlib
import platform
import subprocess


def cpu_model() -> str:
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    for line in output.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "Model name":
            return value.strip()
    return "unknown"


def memory_gib() -> float | None:
    try:
        for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def describe_machine() -> dict:
    return {"cpu_model": cpu_model(), "nproc": len(os.sched_getaffinity(0)), "memory_gib": memory_gib(),
            "kernel": platform.release(), "os": _os_name(), "python": platform.python_version()}


def summary() -> str:
    """One line for a section's `Machine:` entry."""
    facts = describe_machine()
    memory = f"{facts['memory_gib']} GiB RAM" if facts["memory_gib"] else "RAM unknown"
    return (f"{facts['nproc']} CPUs ({facts['cpu_model']}), {memory}, {facts['os']} (Linux {facts['kernel']}), "
            f"Python {facts['python']}")


def harness_versions(vllm_python: pathlib.Path, harness_src: pathlib.Path) -> dict:
    """vLLM, torch, LoadGen... as the harness reports them (`fleetbench-harness fingerprint`)."""
    env = {**os.environ, "PYTHONPATH": str(harness_src)}
    try:
        completed = subprocess.run([str(vllm_python), "-m", "fleetbench_harness", "fingerprint"], env=env,
                                   capture_output=True, text=True, check=True, timeout=300)
        return json.loads(completed.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as err:
        return {"error": f"fingerprint failed: {err}"}


def _os_name() -> str:
    try:
        for line in pathlib.Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()
