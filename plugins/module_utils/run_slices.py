# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run split into slices (AWX job slicing, or jobs started by hand with fleetbench_slice).

Each slice writes only under <run_dir>/slices/<slice>/: its results.json, benchmark.json,
JUnit file, drift table and state.json (running, then finished). Slices never share a file,
so any number of them may write at the same moment; the report step merges them into the
run's results.json once every slice has finished, and refuses by name a slice that is
missing or still running.
"""
from __future__ import annotations

import json
import os
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.atomic_file import write_json_atomically
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.drift import drift_report

SLICES_FOLDER = "slices"
STATE_FILE = "state.json"
RESULTS_FILE = "results.json"
RUNNING = "running"
FINISHED = "finished"


class SliceError(ValueError):
    """A run whose slices cannot be merged (yet): the message names the slice and the cause."""


def slice_dir(run_dir: str, name: str) -> str:
    return os.path.join(run_dir, SLICES_FOLDER, name)


def write_state(run_dir: str, run_slice: t.Mapping[str, t.Any], state: str, at: str) -> str:
    """Record that a slice is running or has finished; the merge trusts nothing else."""
    document = {"slice": run_slice["name"], "count": run_slice.get("count"), "hosts": list(run_slice.get("hosts") or []),
                "job": run_slice.get("job"), "state": state, ("started_at" if state == RUNNING else "finished_at"): at}
    path = os.path.join(slice_dir(run_dir, run_slice["name"]), STATE_FILE)
    if state == FINISHED:
        document["started_at"] = _read_json(path, {}).get("started_at")
    write_json_atomically(path, document)
    return path


def read_slices(run_dir: str) -> list[dict[str, t.Any]]:
    """Every slice folder of the run, with its state and results (None where a file is absent)."""
    folder = os.path.join(run_dir, SLICES_FOLDER)
    names = sorted(os.listdir(folder), key=_natural) if os.path.isdir(folder) else []
    slices = []
    for name in names:
        path = os.path.join(folder, name)
        if not os.path.isdir(path):
            continue
        slices.append({"name": name, "dir": path, "state": _read_json(os.path.join(path, STATE_FILE), None),
                       "results": _read_json(os.path.join(path, RESULTS_FILE), None)})
    return slices


def check_complete(run_dir: str, slices: list[dict[str, t.Any]], expected: int | None) -> None:
    """Refuse, naming the slice, unless every slice of the run has finished with its results."""
    if not slices:
        raise SliceError(f"{run_dir}: no slices found under {SLICES_FOLDER}/ (did the slice jobs run with this results folder?)")
    counts = {s["state"].get("count") for s in slices if s["state"] and s["state"].get("count")}
    expected = expected or (max(counts) if counts else None)
    for run_slice in slices:
        state, where = run_slice["state"], os.path.join(run_slice["dir"], STATE_FILE)
        if state is None:
            raise SliceError(f"slice {run_slice['name']}: {where} not found: the slice never started its results "
                             "(enable the fleetbench.llm.results callback)")
        hosts = ", ".join(state.get("hosts") or []) or "no hosts"
        if state.get("state") != FINISHED:
            raise SliceError(f"slice {run_slice['name']} ({hosts}) is still running (started {state.get('started_at')}, "
                             f"{where}): run the report after every slice has finished")
        if run_slice["results"] is None:
            raise SliceError(f"slice {run_slice['name']} ({hosts}) finished without results: "
                             f"{os.path.join(run_slice['dir'], RESULTS_FILE)} not found")
    if expected and len(slices) < expected:
        present = {s["name"] for s in slices}
        numbered = [f"slice-{n}" for n in range(1, expected + 1) if f"slice-{n}" not in present]
        missing = ", ".join(numbered) if len(numbered) == expected - len(slices) else f"{expected - len(slices)} slice(s)"
        raise SliceError(f"{run_dir}: {len(slices)} of {expected} slices found ({', '.join(sorted(present, key=_natural))}); "
                         f"missing: {missing}")
    _check_disjoint(slices)


def merge(run_id: str, slices: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """One results document, shaped as a single job over all the slices' hosts would write it."""
    documents = [s["results"] for s in slices]
    hosts: dict[str, t.Any] = {}
    for document in documents:
        hosts.update(document.get("hosts") or {})
    started = [d["started_at"] for d in documents if d.get("started_at")]
    finished = [d["finished_at"] for d in documents if d.get("finished_at")]
    return {
        "schema_version": documents[0].get("schema_version"),
        "run_id": run_id,
        "playbook": documents[0].get("playbook"),
        "started_at": min(started) if started else None,
        "finished_at": max(finished) if finished else None,
        "records": [r for d in documents for r in d.get("records") or []],
        "hosts": {h: hosts[h] for h in sorted(hosts)},
        "failures": [f for d in documents for f in d.get("failures") or []],
        "drift": merged_drift([d.get("drift") for d in documents], hosts),
        "slices": [{"slice": s["name"], "hosts": s["state"].get("hosts"), "job": s["state"].get("job"),
                    "started_at": s["state"].get("started_at"), "finished_at": s["state"].get("finished_at")}
                   for s in slices],
    }


def merged_drift(tables: list[t.Any], hosts: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
    """Each slice compared only its own hosts: compare all of them again from the facts kept."""
    tables = [table for table in tables if isinstance(table, t.Mapping)]
    if not tables:
        return None
    compared = sorted({h for table in tables for h in table.get("compared_hosts") or []})
    down = {entry["host"]: entry["reason"] for table in tables for entry in table.get("down") or []}
    fields = [row["field"] for row in tables[0].get("fields") or []]
    facts = {h: (hosts.get(h) or {}).get("gpu") for h in compared}
    lost = sorted(h for h, f in facts.items() if not isinstance(f, t.Mapping))
    if lost:
        raise SliceError(f"the GPU facts of {', '.join(lost)} are missing from their slice's results: "
                         "the drift table of the whole run cannot be made")
    return drift_report(facts, down, fields)


def _check_disjoint(slices: list[dict[str, t.Any]]) -> None:
    owner: dict[str, str] = {}
    for run_slice in slices:
        for host in {r.get("host") for r in run_slice["results"].get("records") or []} | set(run_slice["state"].get("hosts") or []):
            if host in owner and owner[host] != run_slice["name"]:
                raise SliceError(f"host {host} is in slices {owner[host]} and {run_slice['name']}: "
                                 "slices of one run must not share hosts")
            owner[host] = run_slice["name"]


def _read_json(path: str, missing: t.Any) -> t.Any:
    try:
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    except FileNotFoundError:
        return missing
    except (OSError, ValueError) as exc:
        raise SliceError(f"{path} cannot be read: {exc}") from None


def _natural(name: str) -> tuple:
    """slice-2 before slice-10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.replace("-", " ").split())
