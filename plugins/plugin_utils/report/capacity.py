# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's Server capacity section: each host's highest Server load that stayed VALID.

One entry per run that carries a capacity search (`server_search`, read from the harness's
fleetbench_server_search.json): the target QPS of the confirm run LoadGen judged VALID, that run's
completed tokens/s and p99 TTFT/TPOT, and its share of the same host's Offline tokens/s in the
same run id (the median of its VALID Offline runs) where it has one. Hosts are ranked by the QPS;
the band verdict is the one the fleet comparison gave the run's group (its scenario label and
headline), so a host is flagged below the fleet's band exactly as for any other metric."""
from __future__ import annotations

import statistics
import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.format import milliseconds, number
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import is_measurement
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import RecordLike, ResultRecord, as_record


def server_capacity(records: t.Iterable[RecordLike], groups: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Ranked entries, highest VALID QPS first; searches that found none come last, unranked."""
    typed = [as_record(r) for r in records]
    offline = _offline_medians(typed)
    bands = {(g["scenario"], g["metric"], h["host"]): h for g in groups for h in g["hosts"]}
    entries = [_entry(r, offline, bands) for r in typed if r.server_search and r.finished and r.mode == "performance"]
    found = sorted((e for e in entries if e["qps"] is not None), key=lambda e: (-e["qps"], str(e["host"])))
    for rank, entry in enumerate(found, 1):
        entry["rank"] = rank
    return found + sorted((e for e in entries if e["qps"] is None), key=lambda e: str(e["host"]))


def _offline_medians(records: list[ResultRecord]) -> dict[tuple[str, t.Any], float]:
    values: dict[tuple[str, t.Any], list[float]] = {}
    for record in records:
        headline = record.headline
        if record.label == "Offline" and is_measurement(record) and headline and headline["unit"] == "tokens/s":
            values.setdefault((str(record.host), record.run_id), []).append(float(headline["value"]))
    return {key: statistics.median(found) for key, found in values.items()}


def _entry(record: ResultRecord, offline: dict, bands: dict) -> dict[str, t.Any]:
    search = record.server_search or {}
    host = str(record.host)
    confirmed = bool(search.get("confirmed")) and is_measurement(record)
    qps = search.get("highest_valid_qps") if confirmed else None
    tokens = record.tokens_per_second if confirmed else None
    base = offline.get((host, record.run_id))
    headline = record.headline or {}
    band = bands.get((str(record.label), headline.get("name"), host)) or {}
    below = bool(band.get("outside_band")) and band.get("verdict") == "slower"
    entry = {
        "rank": None,
        "host": host,
        "scenario": record.label,
        "repeat": record.repeat,
        "qps": qps,
        "at_least": confirmed and search.get("lowest_failed_qps") is None,
        "tokens_per_second": tokens,
        "ttft_p99_ns": (record.ttft_ns or {}).get("p99") if confirmed else None,
        "tpot_p99_ns": (record.tpot_ns or {}).get("p99") if confirmed else None,
        "offline_tokens_per_second": base,
        "offline_share": tokens / base if tokens and base else None,
        "probes": len(search.get("probes") or []),
        "confirm_runs": len(search.get("confirm_runs") or []),
        "short_probes": _probe_label(search),
        "deviation_pct": band.get("deviation_pct"),
        "below_band": below,
    }
    entry["text"] = _text(entry, search)
    return entry


def _probe_label(search: t.Mapping[str, t.Any]) -> str:
    settings = search.get("probe_settings") or {}
    queries = settings.get("min_query_count")
    length = f"{(settings.get('min_duration_ms') or 0) / 1000:g} s" + (f", {queries} queries" if queries else "")
    profile = search.get("profile")
    return f"short probes ({length}{', quick profile' if profile == 'quick' else ''})"


def _text(entry: dict[str, t.Any], search: t.Mapping[str, t.Any]) -> str:
    tried = f"{entry['probes']} {entry['short_probes']}, {entry['confirm_runs']} full-length confirm run(s)"
    if entry["qps"] is None:
        held = search.get("highest_held_qps")
        why = f"highest probe held {number(held)} QPS" if held else "no probe held the latency limits"
        return f"{entry['host']}: no VALID Server load confirmed ({why}; {tried})"
    share = ("" if entry["offline_share"] is None
             else f", {entry['offline_share']:.2f} of its Offline {number(entry['offline_tokens_per_second'])} tokens/s")
    bound = " (no probe failed: at least this)" if entry["at_least"] else ""
    below = " BELOW the fleet's band" if entry["below_band"] else ""
    return (f"{entry['host']}: {number(entry['qps'])} QPS VALID{bound}, {number(entry['tokens_per_second'])} tokens/s, "
            f"p99 TTFT {milliseconds(entry['ttft_p99_ns'])} ms, TPOT {milliseconds(entry['tpot_p99_ns'])} ms{share}{below}"
            f" ({tried})")
