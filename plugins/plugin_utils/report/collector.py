# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collects result records, host facts and failures from task results into results.json.

The results callback feeds every task result through TaskResultCollector.add_task_result();
what it recognises is the hand-off in docs/contract/report-inputs.md. Each change is written
at once, atomically (atomic_file), so a later exception cannot lose a result
already collected and a reader never sees half a file.
"""
from __future__ import annotations

import copy
import datetime
import os
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.atomic_file import write_json_atomically
from ansible_collections.fleetbench.llm.plugins.module_utils.run_slices import RESULTS_FILE, slice_dir

RESULTS_SCHEMA_VERSION = 1
GPU_FACTS_KEY = "fleetbench_gpu"
FINGERPRINT_FACTS_KEY = "fleetbench_host_fingerprint"
DRIFT_FACT = "fleetbench_drift"
RECORDS_FACT = "fleetbench_run_records"
RUN_FAILURES_FACT = "fleetbench_run_failures"
HOST_FAILURE_FACT = "fleetbench_host_failure"
RUN_ID_FACT = "fleetbench_run_id"
RUN_FINISHED_FACT = "fleetbench_run_finished"
RUN_SLICE_FACT = "fleetbench_run_slice"


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_key(record: t.Mapping[str, t.Any]) -> tuple:
    """A repeated delivery of the same run (loop item, then loop summary) replaces, never adds."""
    return (record.get("run_id"), record.get("host"), record.get("scenario_label") or record.get("scenario"),
            record.get("mode"), record.get("repeat"), record.get("fleet_mode", "per_host"),
            (record.get("source") or {}).get("dir"))


class TaskResultCollector:
    """Everything the report needs, per run_id, as it arrives."""

    def __init__(self, run_id: str | None = None, started_at: str | None = None, playbook: str | None = None):
        self.explicit_run_id = run_id
        self.default_run_id = run_id or "run-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.started_at = started_at or utc_now()
        self.finished_at: str | None = None
        self.playbook = playbook
        self.records: dict[tuple, dict[str, t.Any]] = {}
        self.hosts: dict[str, dict[str, t.Any]] = {}
        self.failures: list[dict[str, t.Any]] = []
        self.drift: t.Any = None
        # Host facts and drift as they stood at each run's last record. A run stops taking newer
        # facts once a newer run starts: facts read in between (a driver upgrade, the next
        # preflight) describe the next run, not the one already measured.
        self.current_run_id: str | None = None
        self._run_facts: dict[str, dict[str, t.Any]] = {}
        self.run_finished_at: dict[str, str] = {}
        # Set when this playbook is one slice of a run: its files go to the slice's own folder.
        self.run_slice: dict[str, t.Any] | None = None

    def add_task_result(self, host: str, task_result: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
        """Take what the hand-off defines from one task result; return the records that are new or changed."""
        facts = task_result.get("ansible_facts") or {}
        if isinstance(facts.get(RUN_ID_FACT), str) and facts[RUN_ID_FACT]:
            self._start_run(facts[RUN_ID_FACT])
        if isinstance(facts.get(RUN_SLICE_FACT), t.Mapping) and facts[RUN_SLICE_FACT].get("name"):
            self.run_slice = dict(facts[RUN_SLICE_FACT])
        self._take_facts(host, facts)
        self._take_finished(facts.get(RUN_FINISHED_FACT))
        candidates = []
        if isinstance(facts.get(RECORDS_FACT), list):
            candidates.extend(r for r in facts[RECORDS_FACT] if isinstance(r, t.Mapping))
        record = task_result.get("loadgen")
        # The module's record is complete when the task passed run_id (the run role does) and is
        # taken at once; RECORDS_FACT delivers the same record again, which replaces, never adds.
        # One without run_id belongs to no run unless this callback was given one.
        if isinstance(record, t.Mapping) and "schema_version" in record and (record.get("run_id") or self.explicit_run_id):
            candidates.append(record)
        return [r for r in (self.add_record(host, c) for c in candidates) if r is not None]

    def _take_finished(self, finished: t.Any) -> None:
        if isinstance(finished, t.Mapping) and finished.get("run_id") and finished.get("finished_at"):
            self.run_finished_at[str(finished["run_id"])] = str(finished["finished_at"])

    def _take_facts(self, host: str, facts: t.Mapping[str, t.Any]) -> None:
        if isinstance(facts.get(GPU_FACTS_KEY), t.Mapping):
            self.hosts.setdefault(host, {})["gpu"] = dict(facts[GPU_FACTS_KEY])
        if isinstance(facts.get(FINGERPRINT_FACTS_KEY), t.Mapping):
            self.hosts.setdefault(host, {})["fingerprint"] = dict(facts[FINGERPRINT_FACTS_KEY])
        if facts.get(DRIFT_FACT) is not None:
            self.drift = facts[DRIFT_FACT]
        for failure in facts.get(RUN_FAILURES_FACT) or []:
            if isinstance(failure, t.Mapping):
                where = " ".join(str(failure.get(k)) for k in ("scenario", "mode") if failure.get(k))
                repeat = f" #{failure['repeat']}" if failure.get("repeat") is not None else ""
                logs = f" (logs: {failure['log_dir']})" if failure.get("log_dir") else ""
                self.add_failure(failure.get("host") or host, f"{where}{repeat}: {failure.get('cause')}{logs}", "run")
        failure = facts.get(HOST_FAILURE_FACT)
        if isinstance(failure, t.Mapping):
            self.add_failure(failure.get("host") or host, f"{failure.get('stage')} failed: {failure.get('cause')}",
                             failure.get("stage"))

    def add_record(self, host: str, record: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
        """Store a record; None when the same run was already stored unchanged (facts are cumulative lists)."""
        record = dict(record)
        record["host"] = record.get("host") or host
        record["run_id"] = record.get("run_id") or self.default_run_id
        self.hosts.setdefault(record["host"], {})
        key = record_key(record)
        if self.records.get(key) == record:
            return None
        self.records[key] = record
        self._start_run(record["run_id"])
        if record["run_id"] == self.current_run_id:
            self._run_facts[record["run_id"]] = {"hosts": copy.deepcopy(self.hosts), "drift": copy.deepcopy(self.drift)}
        return record

    def _start_run(self, run_id: str) -> None:
        """Make run_id the run the playbook is on, unless it is an older run delivered again."""
        if run_id != self.current_run_id and run_id not in self._run_facts:
            self.current_run_id = run_id

    def add_failure(self, host: str, message: str, task: str | None = None) -> None:
        failure = {"host": host, "task": task, "message": " ".join(str(message).split())}
        self.hosts.setdefault(host, {})
        if failure not in self.failures:
            self.failures.append(failure)

    def run_ids(self) -> list[str]:
        ids = sorted({r["run_id"] for r in self.records.values()})
        if not ids and self.run_slice:
            return [self.run_slice["run_id"]]  # a slice reports even when it measured nothing
        return ids or ([self.default_run_id] if self.failures else [])

    def document(self, run_id: str) -> dict[str, t.Any]:
        records = [r for r in self.records.values() if r["run_id"] == run_id]
        hosts = {r["host"] for r in records} | {f["host"] for f in self.failures}
        facts = self._run_facts.get(run_id) if run_id != self.current_run_id else None
        facts = facts or {"hosts": self.hosts, "drift": self.drift}
        return {
            "schema_version": RESULTS_SCHEMA_VERSION,
            "run_id": run_id,
            "playbook": self.playbook,
            "started_at": self.started_at,
            "finished_at": self.run_finished_at.get(run_id) or self.finished_at,
            "records": records,
            "hosts": {h: facts["hosts"].get(h, {}) for h in sorted(hosts)},
            "failures": [f for f in self.failures if f["host"] in hosts],
            "drift": facts["drift"],
        }

    def write(self, output_dir: str) -> list[str]:
        """Write results.json for every run_id seen; return the paths written."""
        written = []
        for run_id in self.run_ids():
            path = os.path.join(self.run_folder(output_dir, run_id), RESULTS_FILE)
            write_json_atomically(path, self.document(run_id), default=str)
            written.append(path)
        return written

    def run_folder(self, output_dir: str, run_id: str, whole_run: bool = False) -> str:
        """Where this playbook writes a run's files: the run's folder, or its slice's within it.
        A slice names its results folder itself: an AWX job gives fleetbench_results_dir as an
        extra var, which never reaches a callback option."""
        if not self.run_slice:
            return os.path.join(output_dir, safe_name(run_id))
        folder = os.path.join(self.run_slice.get("results_dir") or output_dir, safe_name(run_id))
        return folder if whole_run else slice_dir(folder, safe_name(self.run_slice["name"]))


def safe_name(run_id: str) -> str:
    """A run_id as one path component: no separators, no climbing out of the results folder."""
    cleaned = "".join(c if c.isalnum() or c in "-_.:" else "_" for c in str(run_id)).strip(".")
    return cleaned or "run"
