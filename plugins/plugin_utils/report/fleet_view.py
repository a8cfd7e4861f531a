# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a reader sees of a large fleet: the hosts to look at first, the rest counted.

Above `summarise_above_hosts` hosts a table row per host (or per run) buries the few hosts that
matter under a thousand that do not. The Markdown and HTML reports then show the hosts outside
the noise band, the outliers, the failed runs and the regressions, and count the rest; the HTML
keeps the per-host deviation table folded in a <details>. The report dict (report.json) is not
touched: it keeps every host and every run.
"""
from __future__ import annotations

import typing as t

SUMMARISE_ABOVE_HOSTS = 50
# Names printed in one cell or one chart before "and N more"; every name is in report.json.
NAMES_SHOWN = 20


def summarised(report: t.Mapping[str, t.Any]) -> bool:
    """Whether the report is shown as a fleet summary (more hosts than its threshold)."""
    presentation = report.get("presentation") or {}
    return len(report["run"]["hosts"]) > presentation.get("summarise_above_hosts", SUMMARISE_ABOVE_HOSTS)


# Server capacity entries a summarised report shows besides those below the band or without a VALID load.
CAPACITY_TOP = 5


def fleet_view(report: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """{summarised: False} for a small fleet; else the summary the templates print instead of per-host tables."""
    if not summarised(report):
        return {"summarised": False}
    groups = [_group_view(g) for g in report["groups"]]
    attention = {h["host"] for g in groups for h in g["shown"]}
    attention |= {row["host"] for row in report["rows"] if row["result"] != "VALID"}
    comparison = report.get("comparison") or {}
    changed = [c for c in comparison.get("rows") or [] if _comparison_matters(c)]
    attention |= {c["host"] for c in changed}
    rows = [row for row in report["rows"] if row["host"] in attention]
    consistency = report.get("consistency") or []
    capacity = report.get("server_capacity") or []
    capacity_shown = [c for i, c in enumerate(capacity) if i < CAPACITY_TOP or c["below_band"] or c["qps"] is None]
    return {
        "summarised": True,
        "above_hosts": (report.get("presentation") or {}).get("summarise_above_hosts", SUMMARISE_ABOVE_HOSTS),
        "hosts": len(report["run"]["hosts"]),
        "host_names": names(report["run"]["hosts"]),
        "groups": groups,
        "configuration": configuration_summary(report["configuration"]),
        "rows": rows,
        "rows_left_out": len(report["rows"]) - len(rows),
        "compliance": compliance_summary(report["rows"]),
        "accuracy": [row for row in report["accuracy"] if row["host"] in attention or row["passed"] is not True],
        "consistency": [c for c in consistency if c["flagged"]],
        "consistency_left_out": sum(1 for c in consistency if not c["flagged"]),
        "server_capacity": capacity_shown,
        "server_capacity_left_out": len(capacity) - len(capacity_shown),
        "comparison_rows": changed,
        "comparison_left_out": [c for c in comparison.get("rows") or [] if not _comparison_matters(c)],
    }


def names(hosts: t.Sequence[str], shown: int = NAMES_SHOWN) -> str:
    """'a, b, c and 97 more' for a long list of host names."""
    more = len(hosts) - shown
    return ", ".join(str(h) for h in hosts[:shown]) + (f" and {more} more" if more > 0 else "")


def _group_view(group: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A deviation group's hosts outside the band and outliers first (largest deviation first), the others apart."""
    outlying = {o["host"] for o in group.get("outliers") or []}
    focus = [h for h in group["hosts"] if h["outside_band"] or h["host"] in outlying or h.get("noise_set_apart")]
    focus.sort(key=lambda h: -abs(h["deviation_pct"] or 0.0))
    hosts = {h["host"] for h in focus}
    rest = [h for h in group["hosts"] if h["host"] not in hosts]
    within = sum(1 for h in rest if h["verdict"] == "no difference measurable")
    counts = {"slower": 0, "faster": 0}
    for host in group["hosts"]:
        if host["verdict"] in counts:
            counts[host["verdict"]] += 1
    text = (f"{len(group['hosts'])} hosts: {counts['slower']} slower and {counts['faster']} faster than the fleet median "
            f"beyond the noise band, {len(outlying)} outliers by the robust rule; {within} within the band and not outliers")
    return {"scenario": group["scenario"], "metric": group["metric"], "shown": focus, "rest": rest, "text": text,
            "shown_text": _first_named([_host_text(h, outlying) for h in focus])}


def _first_named(texts: list[str], shown: int = NAMES_SHOWN) -> list[str]:
    more = len(texts) - shown
    return texts[:shown] + ([f"and {more} more in the deviation table below"] if more > 0 else [])


def _host_text(host: t.Mapping[str, t.Any], outlying: set[str]) -> str:
    deviation = "n/a" if host["deviation_pct"] is None else f"{host['deviation_pct']:+.1f}%"
    notes = [host["verdict"]] + (["outlier"] if host["host"] in outlying else [])
    return f"{host['host']} {deviation} ({', '.join(notes)})"


def _comparison_matters(row: t.Mapping[str, t.Any]) -> bool:
    return bool(row["regressed"] or row["significant"] or row["config_changes"] or row.get("measured_changes")
                or not (row["before"] and row["after"]))


def configuration_summary(table: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The drift table turned around for a fleet: a row per field, the majority and the hosts that differ."""
    same, differing = [], []
    for row in table["rows"]:
        if not row["differs"]:
            same.append(f"{row['label']} {row['majority']}")
            continue
        off: dict[str, list[str]] = {}
        for host, value in row["values"].items():
            if value is not None and value != row["majority"]:
                off.setdefault(str(value), []).append(host)
        differing.append({
            "label": row["label"], "majority": row["majority"],
            "majority_hosts": sum(1 for v in row["values"].values() if v == row["majority"]),
            "others": [{"value": value, "count": len(hosts), "hosts": names(sorted(hosts)),
                        "text": f"{value} on {len(hosts)}: {names(sorted(hosts))}"}
                       for value, hosts in sorted(off.items(), key=lambda item: -len(item[1]))],
        })
    return {"hosts": len(table["hosts"]), "same": same, "differs": differing}


def compliance_summary(rows: t.Sequence[t.Mapping[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Runs by compliance verdict: how many runs and which hosts, most common first."""
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["compliance"]["text"], []).append(row["host"])
    return [{"text": text, "runs": len(hosts), "hosts": names(sorted(set(hosts)))}
            for text, hosts in sorted(found.items(), key=lambda item: -len(item[1]))]
