"""CPU quota from cgroups (v2 `cpu.max`, v1 `cpu.cfs_quota_us`), as a number of cores."""
from __future__ import annotations

import pathlib

CGROUP_ROOT = pathlib.Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = pathlib.Path("/proc/self/cgroup")


def cpu_quota_cores(root: pathlib.Path = CGROUP_ROOT, proc_cgroup: pathlib.Path = PROC_SELF_CGROUP) -> float | None:
    """Cores this process may use by quota, or None when no quota is set."""
    v2_path, v1_path = own_cgroup_paths(proc_cgroup)
    if (root / "cgroup.controllers").exists():
        return _first_quota([root / v2_path.lstrip("/") / "cpu.max", root / "cpu.max"], _read_v2)
    cpu_root = root / "cpu"
    return _first_quota([cpu_root / v1_path.lstrip("/"), cpu_root], _read_v1)


def own_cgroup_paths(proc_cgroup: pathlib.Path) -> tuple[str, str]:
    v2, v1 = "/", "/"
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return v2, v1
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            v2 = path
        elif "cpu" in controllers.split(","):
            v1 = path
    return v2, v1


def _first_quota(candidates, reader) -> float | None:
    for candidate in candidates:
        try:
            return reader(candidate)
        except (OSError, ValueError):
            continue
    return None


def _read_v2(cpu_max: pathlib.Path) -> float | None:
    quota, period = cpu_max.read_text().split()
    return None if quota == "max" else round(int(quota) / int(period), 3)


def _read_v1(folder: pathlib.Path) -> float | None:
    quota = int((folder / "cpu.cfs_quota_us").read_text())
    period = int((folder / "cpu.cfs_period_us").read_text())
    return None if quota < 0 else round(quota / period, 3)
