# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Causes named from what was measured during the runs (the records' telemetry summaries),
never from configuration alone: a host throttled by its CPU quota, power-capped, thermally
throttled, on a narrower PCIe link or at lower clocks than the others.

A cause counts only when the host shows it clearly and clearly more than the other hosts do
(the margins below), so that a fleet-wide condition is not blamed on one host.
"""
from __future__ import annotations

import statistics
import typing as t

CPU_THROTTLE_MIN_SHARE = 0.05
STEAL_MIN_SHARE = 0.05
GPU_REASON_MIN_SHARE = 0.10
CLOCK_MIN_DROP = 0.10
_GPU_REASONS = (
    ("sw_power_cap", "power-capped"),
    ("hw_power_brake_slowdown", "held by the hardware power brake"),
    ("sw_thermal_slowdown", "thermally throttled"),
    ("hw_thermal_slowdown", "thermally throttled by hardware"),
    ("hw_slowdown", "slowed by hardware (HW slowdown)"),
)


def _mean(values: t.Iterable[t.Any]) -> float | None:
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return statistics.fmean(numbers) if numbers else None


def _path(summary: t.Mapping[str, t.Any], *keys: str) -> t.Any:
    value: t.Any = summary
    for key in keys:
        value = value.get(key) if isinstance(value, t.Mapping) else None
    return value


class HostTelemetry:
    """One host's telemetry over its repeats: each figure is the mean over the runs that have it."""

    def __init__(self, summaries: list[t.Mapping[str, t.Any]]) -> None:
        self.summaries = summaries

    def figure(self, *keys: str) -> float | None:
        return _mean(_path(s, *keys) for s in self.summaries)

    def reason_share(self, reason: str) -> float | None:
        if not any(_path(s, "gpu") for s in self.summaries):
            return None
        return _mean((_path(s, "gpu", "clock_event_share") or {}).get(reason, 0.0) for s in self.summaries if _path(s, "gpu"))

    def lowest(self, key: str) -> float | None:
        values = [v for v in (_path(s, "gpu", key) for s in self.summaries) if isinstance(v, (int, float))]
        return min(values) if values else None


def telemetry_by_host(records: t.Iterable[t.Mapping[str, t.Any]]) -> dict[str, HostTelemetry]:
    found: dict[str, list[t.Mapping[str, t.Any]]] = {}
    for record in records:
        if isinstance(record.get("telemetry"), t.Mapping):
            found.setdefault(record["host"], []).append(record["telemetry"])
    return {host: HostTelemetry(summaries) for host, summaries in found.items()}


def _others_median(values: t.Mapping[str, float | None], host: str) -> float | None:
    others = [v for h, v in values.items() if h != host and v is not None]
    return statistics.median(others) if others else None


def measured_causes(host: str, telemetry: t.Mapping[str, HostTelemetry]) -> list[dict[str, t.Any]]:
    """What held `host` back, measured, strongest first: [{kind, share or value, text}]."""
    if host not in telemetry:
        return []
    causes = [c for c in (_cpu_throttle(host, telemetry), _steal(host, telemetry)) if c]
    causes += [c for reason, words in _GPU_REASONS if (c := _gpu_reason(host, telemetry, reason, words))]
    causes += [c for c in (_pcie(host, telemetry), _clocks(host, telemetry)) if c]
    return sorted(causes, key=lambda c: -c["weight"])


def _beyond_others(host: str, telemetry: t.Mapping[str, HostTelemetry], read: t.Callable[[HostTelemetry], float | None],
                   minimum: float) -> tuple[float, float] | None:
    values = {h: read(v) for h, v in telemetry.items()}
    own, others = values.get(host), _others_median(values, host)
    if own is None or own < minimum or (others is not None and own < others + minimum):
        return None
    return own, others or 0.0


def _cpu_throttle(host, telemetry) -> dict[str, t.Any] | None:
    found = _beyond_others(host, telemetry, lambda v: v.figure("host", "cpu_throttled_share"), CPU_THROTTLE_MIN_SHARE)
    if not found:
        return None
    quota = telemetry[host].figure("host", "cpu_quota_cores")
    limit = f" ({quota:g} cores)" if quota else ""
    return {"kind": "cpu_quota_throttling", "share": found[0], "weight": found[0],
            "what": f"throttled by its cgroup CPU quota{limit}",
            "text": f"throttled in {found[0]:.0%} of scheduler periods by its cgroup CPU quota{limit}"}


def _steal(host, telemetry) -> dict[str, t.Any] | None:
    found = _beyond_others(host, telemetry, lambda v: v.figure("host", "cpu_steal_share"), STEAL_MIN_SHARE)
    if not found:
        return None
    return {"kind": "cpu_steal", "share": found[0], "weight": found[0],
            "what": "losing CPU time to the hypervisor (steal)",
            "text": f"the hypervisor took {found[0]:.0%} of the machine's CPU time (steal)"}


def _gpu_reason(host, telemetry, reason: str, words: str) -> dict[str, t.Any] | None:
    found = _beyond_others(host, telemetry, lambda v: v.reason_share(reason), GPU_REASON_MIN_SHARE)
    if not found:
        return None
    own = telemetry[host]
    detail = ""
    if reason in ("sw_power_cap", "hw_power_brake_slowdown"):
        power, limit = own.figure("gpu", "power_w", "mean"), own.figure("gpu", "power_limit_w", "mean")
        if power is not None and limit is not None:
            detail = f" at {power:,.0f} W of {limit:,.0f} W"
    elif "thermal" in reason:
        peak = own.figure("gpu", "temperature_c", "max")
        if peak is not None:
            detail = f" (peak {peak:.0f} °C)"
    return {"kind": reason, "share": found[0], "weight": found[0], "what": f"{words}{detail}",
            "text": f"{words} {found[0]:.0%} of the run{detail}"}


def _pcie(host, telemetry) -> dict[str, t.Any] | None:
    gens = {h: v.lowest("pcie_gen_min") for h, v in telemetry.items()}
    widths = {h: v.lowest("pcie_width_min") for h, v in telemetry.items()}
    own_gen, own_width = gens.get(host), widths.get(host)
    other_gen, other_width = _others_median(gens, host), _others_median(widths, host)
    if None in (own_gen, own_width, other_gen, other_width):
        return None
    if own_gen >= other_gen and own_width >= other_width:
        return None
    return {"kind": "pcie_link", "value": f"Gen{own_gen:g} x{own_width:g}", "weight": 0.5,
            "what": f"held at PCIe Gen{own_gen:g} x{own_width:g}",
            "text": f"held at PCIe Gen{own_gen:g} x{own_width:g} while the others ran Gen{other_gen:g} x{other_width:g}"}


def _clocks(host, telemetry) -> dict[str, t.Any] | None:
    clocks = {h: v.figure("gpu", "sm_clock_mhz", "mean") for h, v in telemetry.items()}
    own, others = clocks.get(host), _others_median(clocks, host)
    if own is None or not others or own > others * (1 - CLOCK_MIN_DROP):
        return None
    drop = 1 - own / others
    powers = {h: v.figure("gpu", "power_w", "mean") for h, v in telemetry.items()}
    own_power, other_power = powers.get(host), _others_median(powers, host)
    same_power = own_power is not None and other_power and abs(own_power / other_power - 1) < 0.05
    return {"kind": "sm_clocks", "share": drop, "weight": drop, "what": "at lower SM clocks",
            "text": f"SM clocks {drop:.0%} lower ({own:,.0f} vs {others:,.0f} MHz)" + (" at the same power" if same_power else "")}


def held_back_others(host: str, telemetry: t.Mapping[str, HostTelemetry], shown: int = 3) -> list[str]:
    """For a host faster than the fleet: what measurably held each other host back, judged
    against the fast host alone (when most of the fleet is throttled, the fleet's median is)."""
    if host not in telemetry:
        return []
    lines = []
    for other in sorted(h for h in telemetry if h != host):
        pair = {other: telemetry[other], host: telemetry[host]}
        lines += [f"{other} {cause['text']}" for cause in measured_causes(other, pair)[:1]]
    return lines[:shown] + ([f"and {len(lines) - shown} more"] if len(lines) > shown else [])


def cause_changes(host: str, before: t.Mapping[str, HostTelemetry], after: t.Mapping[str, HostTelemetry]) -> list[str]:
    """Measured causes the host had in one run and not in the other (A/B)."""
    was = {c["kind"]: c for c in measured_causes(host, before)}
    now = {c["kind"]: c for c in measured_causes(host, after)}
    lines = [f"no longer {c['what']} ({c['share']:.0%} before)" if "share" in c else f"no longer {c['what']}"
             for kind, c in was.items() if kind not in now]
    lines += [f"newly {c['text']}" for kind, c in now.items() if kind not in was]
    return lines


def telemetry_digest(host: HostTelemetry | None) -> dict[str, t.Any] | None:
    """The few figures the report's tables show beside a host's throughput."""
    if host is None:
        return None
    return {
        "cpu_throttled_share": host.figure("host", "cpu_throttled_share"),
        "cpu_used_cores": host.figure("host", "cpu_used_cores"),
        "cpu_steal_share": host.figure("host", "cpu_steal_share"),
        "sm_clock_mhz": host.figure("gpu", "sm_clock_mhz", "mean"),
        "power_w": host.figure("gpu", "power_w", "mean"),
        "power_cap_share": host.reason_share("sw_power_cap"),
        "energy_j": host.figure("gpu", "energy_j"),
        "joules_per_token": host.figure("gpu", "joules_per_token"),
    }
