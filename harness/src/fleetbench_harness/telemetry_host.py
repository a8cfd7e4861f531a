"""What the host's kernel says while a run is measured: the harness's cgroup (CPU time used,
quota throttling), steal time, load, pressure and CPU frequency.

Every reading is a cheap file read; a source the kernel does not have (no PSI, no cpufreq, a
cgroup v1 without cpuacct beside cpu) is left out of the sample, never guessed.
"""
from __future__ import annotations

import pathlib

from fleetbench_harness.cgroup import CGROUP_ROOT, PROC_SELF_CGROUP, cpu_quota_cores, own_cgroup_paths

PROC = pathlib.Path("/proc")
CPUFREQ = pathlib.Path("/sys/devices/system/cpu")


class HostReader:
    """Reads one sample of the host and the harness's cgroup; paths are resolved once."""

    def __init__(self, cgroup_root: pathlib.Path = CGROUP_ROOT, proc: pathlib.Path = PROC,
                 proc_cgroup: pathlib.Path = PROC_SELF_CGROUP, cpufreq: pathlib.Path = CPUFREQ) -> None:
        self.proc = proc
        self.cpu_stat, self.usage_ns = _cgroup_files(cgroup_root, proc_cgroup)
        self.quota_cores = cpu_quota_cores(cgroup_root, proc_cgroup)
        self.freq_files = sorted(cpufreq.glob("cpu[0-9]*/cpufreq/scaling_cur_freq"))

    def describe(self) -> dict:
        return {"cgroup_cpu_stat": None if self.cpu_stat is None else str(self.cpu_stat),
                "cpu_quota_cores": self.quota_cores}

    def sample(self) -> dict:
        out: dict = {}
        out.update(self._cgroup())
        out.update(_proc_stat(self.proc / "stat"))
        out.update(_loadavg(self.proc / "loadavg"))
        for resource in ("cpu", "memory", "io"):
            value = _pressure(self.proc / "pressure" / resource)
            if value is not None:
                out[f"psi_{resource}_some_avg10"] = value
        freq = _mean_frequency_mhz(self.freq_files)
        if freq is not None:
            out["cpu_freq_mhz"] = freq
        return out

    def _cgroup(self) -> dict:
        out: dict = {}
        if self.cpu_stat is not None:
            stat = _key_values(self.cpu_stat)
            for key in ("nr_periods", "nr_throttled"):
                if key in stat:
                    out[key] = stat[key]
            if "throttled_usec" in stat:
                out["throttled_usec"] = stat["throttled_usec"]
            elif "throttled_time" in stat:  # cgroup v1: nanoseconds
                out["throttled_usec"] = stat["throttled_time"] // 1000
            if "usage_usec" in stat:
                out["cpu_usage_usec"] = stat["usage_usec"]
        if "cpu_usage_usec" not in out and self.usage_ns is not None:
            try:
                out["cpu_usage_usec"] = int(self.usage_ns.read_text().split()[0]) // 1000
            except (OSError, ValueError, IndexError):
                pass
        return out


def _cgroup_files(root: pathlib.Path, proc_cgroup: pathlib.Path):
    """(cpu.stat, cgroup v1's cpuacct.usage in nanoseconds or None) of this process's cgroup."""
    v2_path, v1_path = own_cgroup_paths(proc_cgroup)
    if (root / "cgroup.controllers").exists():
        stat = _first_file([root / v2_path.lstrip("/") / "cpu.stat", root / "cpu.stat"])
        return stat, None
    cpu = _first_file([root / "cpu" / v1_path.lstrip("/") / "cpu.stat", root / "cpu" / "cpu.stat"])
    usage = _first_file([root / "cpuacct" / v1_path.lstrip("/") / "cpuacct.usage", root / "cpu" / "cpuacct.usage"])
    return cpu, usage


def _first_file(candidates: list[pathlib.Path]) -> pathlib.Path | None:
    return next((c for c in candidates if c.is_file()), None)


def _key_values(path: pathlib.Path) -> dict[str, int]:
    out = {}
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if value.strip().isdigit():
                out[key] = int(value)
    except OSError:
        pass
    return out


def _proc_stat(path: pathlib.Path) -> dict:
    """Machine-wide CPU ticks: all of them and the hypervisor's steal (8th number of `cpu`)."""
    try:
        with path.open() as stream:
            fields = stream.readline().split()
    except OSError:
        return {}
    if len(fields) < 9 or fields[0] != "cpu":
        return {}
    ticks = [int(f) for f in fields[1:] if f.isdigit()]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return {"cpu_ticks_total": sum(ticks[:8]), "cpu_ticks_idle": idle, "cpu_ticks_steal": ticks[7]}


def _loadavg(path: pathlib.Path) -> dict:
    try:
        fields = path.read_text().split()
        running = int(fields[3].split("/")[0])
        return {"load1": float(fields[0]), "runnable": running}
    except (OSError, ValueError, IndexError):
        return {}


def _pressure(path: pathlib.Path) -> float | None:
    """PSI `some avg10`: the share of the last 10 s in which some task waited for the resource."""
    try:
        first = path.read_text().splitlines()[0].split()
        return float(dict(part.split("=", 1) for part in first[1:])["avg10"])
    except (OSError, ValueError, IndexError, KeyError):
        return None


def _mean_frequency_mhz(files: list[pathlib.Path]) -> float | None:
    values = []
    for path in files:
        try:
            values.append(int(path.read_text()) / 1000)
        except (OSError, ValueError):
            continue
    return round(sum(values) / len(values), 1) if values else None
