# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sentences and summary dicts the report prints beside its host-vs-fleet verdicts:
how noise was measured, the smallest difference the run could see, the uniformity claim,
outliers among hosts and the order the runs were made in."""
from __future__ import annotations

import math
import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.format import count
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.host_stats import (
    DETECTION_POWER,
    OUTLIER_MODIFIED_Z,
    HostNoise,
    minimum_detectable,
    outliers,
    with_more_repeats,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import NoiseSettings


def _pct(log_value: float) -> float:
    return math.expm1(log_value) * 100


def noise_summary(noise: HostNoise, settings: NoiseSettings, hosts: int) -> dict[str, t.Any]:
    sd_pct = None if noise.sd is None else _pct(noise.sd)
    return {
        "measured": noise.measured,
        "relative_sd_pct": sd_pct,
        "degrees_of_freedom": noise.degrees_of_freedom,
        "set_apart": [str(h) for h in noise.set_apart],
        "confidence": settings.confidence,
        "method": noise_method(noise, settings, hosts),
    }


def noise_method(noise: HostNoise, settings: NoiseSettings, hosts: int) -> str:
    if not noise.measured:
        return f"assumed {settings.default_pct:g}% (no repeated runs: set fleetbench_repeats >= 2 to measure it)"
    apart = ""
    if noise.set_apart:
        apart = ("; set apart for a spread beyond the others' (judged on their own): "
                 + ", ".join(f"{h} {_pct(math.sqrt(noise.own[h][0])):.1f}%" for h in noise.set_apart))
    false_alarm = (1 - settings.confidence) * 100
    return (f"measured from repeats (pooled within-host spread {_pct(t.cast(float, noise.sd)):.1f}%, "
            f"{noise.degrees_of_freedom} df{apart}); each host against the fleet median on log throughput, "
            f"Student's t, Holm over {count(hosts, 'host')} at {settings.confidence_pct}: at most a {false_alarm:g}% chance "
            "per report that an unchanged host is flagged")


def detectable_summary(noise: HostNoise, settings: NoiseSettings, runs: list[int],
                       lower_is_better: bool) -> dict[str, t.Any]:
    """The smallest difference from the others a host needs to be flagged DETECTION_POWER of the time."""
    hosts, repeats = len(runs), (sorted(runs)[len(runs) // 2] if runs else 0)
    mdd = minimum_detectable(noise, settings, repeats, hosts)
    if mdd is None:
        why = "one host" if hosts < 2 else "no repeated runs: set fleetbench_repeats >= 2"
        return {"slower_pct": None, "faster_pct": None, "repeats": repeats, "text": f"unknown ({why})"}
    below, above = -_pct(-mdd), _pct(mdd)
    slower, faster = (above, below) if lower_is_better else (below, above)
    more = minimum_detectable(with_more_repeats(noise, repeats + 1, hosts), settings, repeats + 1, hosts)
    more_pct = _pct(t.cast(float, more)) if lower_is_better else -_pct(-t.cast(float, more))
    text = (f"with {repeats} repeats and this noise, a host must be {slower:.0f}% slower (or {faster:.0f}% faster) than "
            f"the others to be flagged {DETECTION_POWER * 100:.0f}% of the time at {settings.confidence_pct}; smaller "
            f"differences cannot be told from noise. {repeats + 1} repeats would bring it to about {more_pct:.0f}%; "
            "longer runs, interleaved order and quieter hosts shrink it too")
    return {"slower_pct": slower, "faster_pct": faster, "repeats": repeats,
            "with_one_more_repeat_pct": more_pct, "text": text}


def uniformity_summary(hosts: list[dict[str, t.Any]], settings: NoiseSettings, measured: bool) -> dict[str, t.Any]:
    tolerance = f"±{settings.uniform_within_pct:g}%"
    out: dict[str, t.Any] = {"tolerance_pct": settings.uniform_within_pct, "confidence": settings.confidence,
                             "claimed": False, "outside": [], "not_shown": []}
    if len(hosts) < 2:
        out.update(claimed=None, text="one host: nothing to compare")
        return out
    if not measured:
        out["text"] = f"cannot claim uniformity within {tolerance}: no repeated runs to measure the noise"
        return out
    out["outside"] = [h["host"] for h in hosts if h["uniformity"] == "outside"]
    out["not_shown"] = [h["host"] for h in hosts if h["uniformity"] == "not shown"]
    if not out["outside"] and not out["not_shown"]:
        out.update(claimed=True, text=f"all {len(hosts)} hosts within {tolerance} of the fleet median, "
                                      f"{settings.confidence_pct} confidence")
        return out
    parts = []
    if out["outside"]:
        parts.append(f"{', '.join(out['outside'])} outside")
    if out["not_shown"]:
        parts.append(f"{', '.join(out['not_shown'])} not shown within it (too few repeats for this noise)")
    out["text"] = f"cannot claim uniformity within {tolerance}: {'; '.join(parts)}"
    return out


def outlier_summary(log_means: t.Mapping[str, float]) -> list[dict[str, t.Any]]:
    """Hosts far from the others by a robust rule, independent of the noise band."""
    return [
        {"host": host, "modified_z": z,
         "text": f"{host}: {abs(z):.1f} MADs {'below' if z < 0 else 'above'} the hosts' median "
                 f"(outlier beyond {OUTLIER_MODIFIED_Z:g})"}
        for host, z in sorted(outliers(log_means).items())
    ]


def run_order(records: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """The order the group's runs started in, and whether one host's repeats were interleaved
    with the other hosts' (so that a slow drift of the machine falls on every host alike)."""
    stamped = [(r.get("test_datetime"), r["host"], r.get("repeat")) for r in records]
    hosts = {entry[1] for entry in stamped}
    repeated = len(stamped) > len(hosts)
    if any(not isinstance(entry[0], str) for entry in stamped) or len(hosts) < 2 or not repeated:
        return {"order": [], "interleaved": None, "text": "n/a"}
    ordered = sorted(stamped, key=lambda item: (item[0], str(item[2]), item[1]))
    sequence = [entry[1] for entry in ordered]
    blocks = sum(1 for i, host in enumerate(sequence) if i == 0 or sequence[i - 1] != host)
    interleaved = blocks > len(hosts)
    order = [f"{entry[1]}#{entry[2]}" for entry in ordered]
    text = ("interleaved: " if interleaved else
            "host by host (a slow drift of the machine lands on single hosts; interleave with fleetbench_hosts_at_once): ")
    shown = ", ".join(order[:12]) + (", ..." if len(order) > 12 else "")
    return {"order": order, "interleaved": interleaved, "text": text + shown}
