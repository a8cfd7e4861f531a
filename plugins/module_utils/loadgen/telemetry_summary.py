# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The telemetry timeline a harness run writes (telemetry.json, docs/contract/telemetry.md)
reduced to the summary a result record carries: per metric mean, min and max; the share of the
measured time each GPU clock event reason was active; CPU quota throttling, steal; energy.

Counters (cgroup CPU time, throttled periods, /proc/stat ticks, ECC errors, NVML energy) are
cumulative in the file: the summary takes their change from the first sample to the last.
"""
from __future__ import annotations

import math
import typing as t

TELEMETRY_FILE = "telemetry.json"
SUPPORTED_SCHEMA_VERSION = 1
_HOST_GAUGES = ("load1", "runnable", "psi_cpu_some_avg10", "psi_memory_some_avg10", "psi_io_some_avg10", "cpu_freq_mhz")
_GPU_GAUGES = ("sm_clock_mhz", "mem_clock_mhz", "power_w", "power_limit_w", "temperature_c", "gpu_util_pct", "mem_util_pct")


class TelemetryError(ValueError):
    """telemetry.json cannot be summarised; the message is one line."""


def _number(value: t.Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _stats(values: t.Iterable[t.Any]) -> dict[str, float] | None:
    numbers = [v for v in (_number(x) for x in values) if v is not None]
    if not numbers:
        return None
    return {"mean": round(sum(numbers) / len(numbers), 3), "min": min(numbers), "max": max(numbers)}


def _delta(first: t.Mapping[str, t.Any], last: t.Mapping[str, t.Any], key: str) -> float | None:
    a, b = _number(first.get(key)), _number(last.get(key))
    return None if a is None or b is None or b < a else b - a


def summarise(document: t.Any) -> dict[str, t.Any]:
    """The record's telemetry summary (raises TelemetryError for a document of another shape)."""
    if not isinstance(document, t.Mapping):
        raise TelemetryError(f"expected a JSON object, found {type(document).__name__}")
    if document.get("schema_version") != SUPPORTED_SCHEMA_VERSION:
        raise TelemetryError(f"schema_version {document.get('schema_version')!r} is not supported "
                             f"(this code reads {SUPPORTED_SCHEMA_VERSION})")
    samples = [s for s in document.get("samples") or [] if isinstance(s, t.Mapping)]
    if not samples:
        raise TelemetryError("no samples")
    duration = _number(document.get("duration_s")) or 0.0
    sources = document.get("sources") if isinstance(document.get("sources"), t.Mapping) else {}
    summary: dict[str, t.Any] = {
        "duration_s": duration,
        "samples": len(samples),
        "interval_s": _number(document.get("interval_s")),
        "gpu_source": sources.get("gpu"),
        "host": _host_summary(samples, duration, sources),
    }
    sampler = _number(document.get("sampler_cpu_s"))
    if sampler is not None and duration > 0:
        summary["sampler_cpu_share"] = round(sampler / duration, 5)
    gpu = _gpu_summary(samples, duration, document.get("energy_mj"))
    if gpu:
        summary["gpu"] = gpu
    return summary


def _host_summary(samples: list[t.Mapping[str, t.Any]], duration: float, sources: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    hosts = [s["host"] for s in samples if isinstance(s.get("host"), t.Mapping)]
    out: dict[str, t.Any] = {"cpu_quota_cores": _number(sources.get("cpu_quota_cores"))}
    if not hosts:
        return out
    first, last = hosts[0], hosts[-1]
    periods, throttled = _delta(first, last, "nr_periods"), _delta(first, last, "nr_throttled")
    if periods:
        out["cpu_throttled_share"] = round((throttled or 0) / periods, 4)
    throttled_usec = _delta(first, last, "throttled_usec")
    if throttled_usec is not None:
        out["cpu_throttled_s"] = round(throttled_usec / 1e6, 3)
    usage = _delta(first, last, "cpu_usage_usec")
    if usage is not None and duration > 0:
        out["cpu_used_cores"] = round(usage / 1e6 / duration, 3)
    total = _delta(first, last, "cpu_ticks_total")
    if total:
        out["cpu_steal_share"] = round((_delta(first, last, "cpu_ticks_steal") or 0) / total, 4)
        out["machine_busy_share"] = round(1 - (_delta(first, last, "cpu_ticks_idle") or 0) / total, 4)
    for key in _HOST_GAUGES:
        stats = _stats(h.get(key) for h in hosts)
        if stats:
            out[key] = stats
    return out


def _gpu_summary(samples: list[t.Mapping[str, t.Any]], duration: float, energy: t.Any) -> dict[str, t.Any]:
    per_sample = [[g for g in s.get("gpus") or [] if isinstance(g, t.Mapping)] for s in samples]
    devices = [g for gpus in per_sample for g in gpus]
    if not devices:
        return {}
    out: dict[str, t.Any] = {"devices": len({g.get("index") for g in devices})}
    for key in _GPU_GAUGES:
        stats = _stats(g.get(key) for g in devices)
        if stats:
            out[key] = stats
    out["clock_event_share"] = _reason_shares([gpus for gpus in per_sample if gpus])
    for key in ("pcie_gen", "pcie_width"):
        values = [v for v in (_number(g.get(key)) for g in devices) if v is not None]
        if values:
            out[f"{key}_min"] = int(min(values))
    for key in ("ecc_corrected", "ecc_uncorrected"):
        changes = [_delta(first, last, key) for first, last in _first_last_by_device(per_sample)]
        changes = [c for c in changes if c is not None]
        if changes:
            out[f"{key}_during_run"] = int(sum(changes))
    out.update(_energy(energy, per_sample, duration))
    return out


def _reason_shares(per_sample: list[list[t.Mapping[str, t.Any]]]) -> dict[str, float]:
    """Share of the samples in which each reason was active on any GPU (idle is not a cause)."""
    counts: dict[str, int] = {}
    for gpus in per_sample:
        active = {r for g in gpus for r in (g.get("clock_event_reasons") or []) if isinstance(r, str)}
        for reason in active - {"gpu_idle"}:
            counts[reason] = counts.get(reason, 0) + 1
    return {reason: round(count / len(per_sample), 4) for reason, count in sorted(counts.items())}


def _first_last_by_device(per_sample: list[list[t.Mapping[str, t.Any]]]):
    first: dict[t.Any, t.Mapping[str, t.Any]] = {}
    last: dict[t.Any, t.Mapping[str, t.Any]] = {}
    for gpus in per_sample:
        for gpu in gpus:
            first.setdefault(gpu.get("index"), gpu)
            last[gpu.get("index")] = gpu
    return [(first[i], last[i]) for i in first]


def _energy(energy: t.Any, per_sample: list[list[t.Mapping[str, t.Any]]], duration: float) -> dict[str, t.Any]:
    """Joules from NVML's counter where every GPU has one, else integrated from power samples."""
    if isinstance(energy, t.Mapping):
        start, end = energy.get("start") or [], energy.get("end") or []
        pairs = list(zip(start, end))
        if pairs and len(start) == len(end) and all(_number(a) is not None and _number(b) is not None and b >= a
                                                    for a, b in pairs):
            return {"energy_j": round(sum(b - a for a, b in pairs) / 1000, 3), "energy_source": "nvml energy counter"}
    powers = [sum(_number(g.get("power_w")) or 0.0 for g in gpus) for gpus in per_sample if gpus]
    if len(powers) >= 2 and duration > 0 and any(powers):
        return {"energy_j": round(sum(powers) / len(powers) * duration, 3), "energy_source": "power samples x duration"}
    return {}


def add_energy_per_token(summary: dict[str, t.Any], tokens_per_second: float | None, duration_s: float | None) -> None:
    """Joules per output token, from the run's energy and the tokens LoadGen counted."""
    gpu = summary.get("gpu") or {}
    energy = _number(gpu.get("energy_j"))
    tps, seconds = _number(tokens_per_second), _number(duration_s)
    if energy is not None and tps and seconds:
        gpu["joules_per_token"] = round(energy / (tps * seconds), 6)
