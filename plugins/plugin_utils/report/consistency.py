# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pairs of numbers that cannot both be right: a host's Server throughput above its own Offline.

Offline hands the engine every sample at once, so no sound system completes more tokens/s under
Server's arrival schedule (published pairs run 0.88-0.94 of Offline, FACTS.md). The rule, stated
in every check: a host's Server (or Interactive) median completed tokens/s is flagged when it
exceeds its Offline median tokens/s in the same run by more than the margin, the larger of the
two scenarios' within-host spreads (relative SD of the host's repeats) and the default noise pct.
"""
from __future__ import annotations

import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.format import number
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import is_measurement
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import DEFAULT_NOISE_PCT, Sample
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import RecordLike, ResultRecord, as_record

STREAMING = ("Server", "Interactive", "ServerCapacity")
LIKELY_CAUSES = ("cache reuse across queries (prefix cache on, or prompts repeated within the run)",
                 "an Offline run too short to fill the batch", "warm-up or other load during the Offline run")


def server_offline_checks(records: t.Iterable[RecordLike],
                          default_noise_pct: float = DEFAULT_NOISE_PCT) -> list[dict[str, t.Any]]:
    """One check per host and streaming scenario that has an Offline result to compare with."""
    typed = [as_record(r) for r in records]
    samples = _samples(typed)
    by_run: dict[tuple[t.Any, t.Any], list[ResultRecord]] = {}
    for record in typed:  # grouped once: a scan of every record per host was quadratic in the fleet
        by_run.setdefault((record.host, record.label), []).append(record)
    checks = []
    for (host, label), server in sorted(samples.items()):
        offline = samples.get((host, "Offline"))
        if label in STREAMING and offline is not None:
            checks.append(_check(host, label, server, offline, default_noise_pct, _reuse(by_run.get((host, label), []))))
    return checks


def _samples(records: list[ResultRecord]) -> dict[tuple[str, str], Sample]:
    samples: dict[tuple[str, str], Sample] = {}
    for record in records:
        headline = record.headline
        if not is_measurement(record) or record.fleet_mode == "fleet" or headline is None or headline["unit"] != "tokens/s":
            continue
        samples.setdefault((str(record.host), str(record.label)), Sample([])).values.append(float(headline["value"]))
    return samples


def _check(host: str, label: str, server: Sample, offline: Sample, default_pct: float,
           reuse: list[str]) -> dict[str, t.Any]:
    spreads = [s.relative_sd * 100 for s in (server, offline) if s.relative_sd is not None]
    margin = max([default_pct, *spreads])
    above_pct = (server.median / offline.median - 1) * 100
    flagged = above_pct > margin
    pair = (f"{host}: {label} {number(server.median)} tokens/s vs its Offline {number(offline.median)} tokens/s "
            f"({above_pct:+.0f}%; margin {margin:.1f}%, the larger of the within-host spreads and the default noise)")
    if flagged:
        causes = reuse + [c for c in LIKELY_CAUSES if not (reuse and c.startswith("cache reuse"))]
        text = f"{pair}: {label} above Offline is impossible for a sound measurement; likely causes: {'; '.join(causes)}"
    elif above_pct > 0:
        text = f"{pair}: within the margin"
    else:
        text = f"{pair}: {label} reads below its Offline"
    return {"host": host, "scenario": label, "server": server.median, "offline": offline.median,
            "above_pct": above_pct, "margin_pct": margin, "flagged": flagged, "text": text}


def _reuse(records: list[ResultRecord]) -> list[str]:
    """The engine rung's own words, where one host's Server runs (`records`) recorded cross-query reuse."""
    reasons = []
    for record in records:
        for rung in (record.compliance or {}).get("rungs") or []:
            if rung.get("rung") == "engine" and rung.get("passed") is False and "across queries" in str(rung.get("reason")):
                reasons.append(f"recorded: {rung['reason']}")
        reasons.extend(f"recorded: {w}" for w in record.warnings or [] if "each prompt issued" in str(w))
    return sorted(set(reasons))
