# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift gate's arithmetic: which configuration fields differ across hosts, the majority
value of each, the hosts that deviate from it, and the hosts that could not be asked.

Pure functions over {host: fleetbench_gpu facts}; the drift_table filter and the preflight
role are thin layers over them.
"""
from __future__ import annotations

import collections
import json
import typing as t

# Name shown in the table -> fact paths. "gpus[].x" reads x from every GPU of the host.
# Only configuration goes here: values that move with load (current clocks, PCIe generation
# at idle, temperature) would report drift between identical hosts.
FIELD_PATHS = {
    "driver": ("driver_version",),
    "cuda": ("cuda_driver_version",),
    "kernel_module": ("kernel_module_version", "kernel_module_flavour"),
    "reboot_pending": ("reboot_pending",),
    "gpu_count": ("gpu_count",),
    "gpu_model": ("gpus[].name",),
    "vbios": ("gpus[].vbios_version",),
    "power_limit_w": ("gpus[].power_limit_enforced_w",),
    "app_clocks_mhz": ("gpus[].clock_app_sm_mhz", "gpus[].clock_app_mem_mhz"),
    "max_clocks_mhz": ("gpus[].clock_max_sm_mhz", "gpus[].clock_max_mem_mhz"),
    "ecc": ("gpus[].ecc_mode",),
    "mig": ("gpus[].mig_mode",),
    "pcie_gen_max": ("gpus[].pcie_gen_max",),
    "pcie_width": ("gpus[].pcie_width_current",),
    "persistence": ("gpus[].persistence_mode",),
    "compute_mode": ("gpus[].compute_mode",),
    "cuda_toolkit": ("cuda_toolkit_version",),
    "fabric_manager": ("fabric_manager_state",),
    "cpu_model": ("host.cpu_model",),
    "cpu_count": ("host.cpu_count",),
    "cpu_quota": ("host.cpu_quota",),
    "memory_gib": ("host.memory_gib",),
    "kernel": ("host.kernel",),
    "vllm": ("harness.vllm",),
    "torch": ("harness.torch",),
}
DEFAULT_FIELDS = tuple(FIELD_PATHS)


class DriftError(ValueError):
    """A field list the gate cannot use; the message is one line."""


def field_paths(field: str) -> tuple:
    """Catalogue name, or a fact path of its own ('gpus[].compute_mode', 'host.kernel')."""
    if field in FIELD_PATHS:
        return FIELD_PATHS[field]
    return (field,)


def check_fields(fields: list, host_facts: dict) -> None:
    """A field is a catalogue name or a path whose first key some host's facts have:
    a typo must not pass as a field on which every host 'agrees'."""
    if not host_facts:
        return
    for field in fields:
        head = str(field).split(".", maxsplit=1)[0].replace("[]", "")
        if field in FIELD_PATHS or (field and any(head in facts for facts in host_facts.values())):
            continue
        raise DriftError(f"drift field {field!r} is neither a known field "
                         f"({', '.join(FIELD_PATHS)}) nor a path into the gpu_facts facts")


def _lookup(facts: t.Any, path: str) -> t.Any:
    head, rest = path.split(".", 1) if "." in path else (path, "")
    if head.endswith("[]"):
        items = facts.get(head[:-2]) if isinstance(facts, dict) else None
        return [_lookup(item, rest) for item in items or []]
    value = facts.get(head) if isinstance(facts, dict) else None
    return _lookup(value, rest) if rest else value


def _summary(values: t.Any) -> t.Any:
    """A per-GPU list becomes one value when all GPUs agree, else 'a x7; b x1'."""
    if not isinstance(values, list):
        return values
    if not values:
        return None
    counts = collections.Counter(json.dumps(v, sort_keys=True) for v in values)
    if len(counts) == 1:
        return values[0]
    return "; ".join(f"{json.loads(k)} x{n}" for k, n in counts.most_common())


def field_value(facts: dict, field: str) -> t.Any:
    # Only per-GPU paths collapse into one value; a fact that is a list (held_packages) stays one.
    parts = [_summary(_lookup(facts, path)) if "[]" in path else _lookup(facts, path)
             for path in field_paths(field)]
    return parts[0] if len(parts) == 1 else " / ".join("-" if p is None else str(p) for p in parts)


def _majority(values: dict) -> tuple:
    """(value, hosts holding it, tie?) with ties broken by host order, stated as a tie."""
    counts = collections.Counter(json.dumps(v, sort_keys=True) for v in values.values())
    ranked = counts.most_common()
    best = ranked[0][1]
    leaders = [k for k, n in ranked if n == best]
    first = next(json.dumps(v, sort_keys=True) for v in values.values()
                 if json.dumps(v, sort_keys=True) in leaders)
    return json.loads(first), best, len(leaders) > 1


def compare_field(host_facts: dict, field: str) -> dict:
    values = {host: field_value(facts, field) for host, facts in sorted(host_facts.items())}
    if not values:
        return {"field": field, "majority": None, "majority_hosts": 0, "tie": False,
                "differs": False, "values": {}, "deviations": {}}
    majority, count, tie = _majority(values)
    deviations = {host: v for host, v in values.items() if v != majority}
    return {"field": field, "majority": majority, "majority_hosts": count, "tie": tie,
            "differs": bool(deviations), "values": values, "deviations": deviations}


def drift_report(host_facts: dict, down: dict | None = None, fields: t.Iterable | None = None) -> dict:
    """The drift table: {host: facts} of the hosts that answered, {host: reason} of those
    that did not."""
    down = dict(down or {})
    chosen = list(fields) if fields else list(DEFAULT_FIELDS)
    compared = {h: f for h, f in host_facts.items() if h not in down}
    check_fields(chosen, compared)
    rows = [compare_field(compared, field) for field in chosen]
    differing = [row["field"] for row in rows if row["differs"]]
    report = {
        "hosts": sorted(set(compared) | set(down)),
        "compared_hosts": sorted(compared),
        "down": [{"host": host, "reason": down[host]} for host in sorted(down)],
        "fields": rows,
        "differing_fields": differing,
        "uniform": not differing,
    }
    report["summary"] = summary_line(report)
    return report


def summary_line(report: dict) -> str:
    """One line naming every difference and down host, for fail messages and logs."""
    parts = []
    for row in report["fields"]:
        if row["differs"]:
            deviating = ", ".join(f"{host}={_cell(value)}" for host, value in row["deviations"].items())
            parts.append(f"{row['field']} differs (majority {_cell(row['majority'])}: {deviating})")
    if report["down"]:
        parts.append("down: " + ", ".join(entry["host"] for entry in report["down"]))
    if not parts:
        return f"{len(report['compared_hosts'])} host(s) agree on {len(report['fields'])} field(s)"
    return "; ".join(parts)


def facts_from_results(results: dict) -> tuple[dict, dict]:
    """Split {host: registered gpu_facts result (or facts, or None)} into answered and down."""
    facts, down = {}, {}
    for host, result in results.items():
        if not isinstance(result, dict) or not result:
            down[host] = "no facts gathered (host left the play earlier)"
        elif result.get("unreachable"):
            down[host] = f"unreachable: {_one_line(result.get('msg'))}"
        elif result.get("failed"):
            down[host] = f"gpu_facts failed: {_one_line(result.get('msg'))}"
        elif "gpu_present" in result:
            facts[host] = result
        elif isinstance(result.get("ansible_facts", {}).get("fleetbench_gpu"), dict):
            facts[host] = result["ansible_facts"]["fleetbench_gpu"]
        else:
            down[host] = "no fleetbench_gpu facts in the result"
    return facts, down


def _one_line(message: t.Any) -> str:
    return " ".join(str(message or "no message").split())[:300]


def _cell(value: t.Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render_text(report: dict) -> str:
    """The table for the console: down hosts, then one line per deviating host and field."""
    compared, down = report["compared_hosts"], report["down"]
    lines = [f"drift gate: {len(compared)} host(s) compared, {len(down)} down, "
             f"{len(report['differing_fields'])} of {len(report['fields'])} field(s) differ"]
    for entry in down:
        lines.append(f"  DOWN {entry['host']}: {entry['reason']}")
    rows = []
    for row in report["fields"]:
        label = f"{_cell(row['majority'])} ({row['majority_hosts']}/{len(compared)}"
        label += ", tie)" if row["tie"] else ")"
        for host, value in row["deviations"].items():
            rows.append((row["field"], label, host, f"{_cell(value)}  <<"))
    if rows:
        header = ("FIELD", "MAJORITY (hosts)", "HOST", "VALUE")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
    elif compared:
        lines.append(f"  all {len(compared)} host(s) agree on: {', '.join(r['field'] for r in report['fields'])}")
    return "\n".join(lines)
