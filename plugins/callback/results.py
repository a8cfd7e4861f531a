# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: results
type: aggregate
short_description: Collect fleetbench benchmark results live, write results.json and JUnit XML
version_added: 0.1.0
description:
  - Recognises the result records that C(fleetbench.llm.loadgen_result) returns under C(loadgen)
    (complete when the task passed C(run_id), as the run role does, and then taken at once),
    and the host facts C(fleetbench_gpu) and C(fleetbench_host_fingerprint), as tasks finish
    (the hand-off is written down in docs/contract/report-inputs.md).
  - Prints one line per finished run (host, scenario, mode, VALID/INVALID, headline metric,
    completed/issued samples) and a table of all runs at the end of the playbook.
  - Writes C(<output_dir>/<run_id>/results.json) after every new record, atomically, so a
    failure later in the playbook or inside this callback never loses a result already written;
    and a JUnit XML file with one test case per host x scenario x mode x repeat.
  - When the playbook is one slice of a run (the C(fleetbench_run_slice) fact that C(benchmark.yml) sets),
    writes under C(<run_id>/slices/<slice>/) instead, in the results folder the slice names, with a
    C(state.json) that says running from the fact on and finished once its files are written.
  - An aggregate callback, so it runs beside any stdout callback, AWX's included, once listed
    in C(callbacks_enabled).
requirements:
  - junit-xml (for the JUnit output)
  - enable in configuration, for example C(callbacks_enabled = fleetbench.llm.results)
options:
  output_dir:
    description:
      - Folder that holds one sub-folder per run_id.
      - A relative path is taken from the directory of the playbook named on the command line
        (C(playbook_dir)), so results land in the project whatever the working directory, where
        the C(fleetbench.llm.report) role looks for them by default (C(playbook_dir)/results).
    type: str
    default: results
    env:
      - name: FLEETBENCH_RESULTS_DIR
    ini:
      - section: fleetbench_results
        key: output_dir
  formats:
    description: What to write besides the console lines.
    type: list
    elements: str
    default: [json, junit]
    choices: [json, junit]
    env:
      - name: FLEETBENCH_RESULTS_FORMATS
    ini:
      - section: fleetbench_results
        key: formats
  run_id:
    description: Run id for records that carry none (records set by the run role carry their own).
    type: str
    env:
      - name: FLEETBENCH_RUN_ID
    ini:
      - section: fleetbench_results
        key: run_id
  baseline:
    description: A baseline results.json; hosts that regressed against it beyond noise and O(tolerance_pct) fail in the JUnit file.
    type: path
    env:
      - name: FLEETBENCH_BASELINE
    ini:
      - section: fleetbench_results
        key: baseline
  tolerance_pct:
    default: 5.0
    env:
      - name: FLEETBENCH_REGRESSION_TOLERANCE_PCT
    ini:
      - section: fleetbench_results
        key: tolerance_pct
  confidence:
    env:
      - name: FLEETBENCH_CONFIDENCE
    ini:
      - section: fleetbench_results
        key: confidence
extends_documentation_fragment:
  - fleetbench.llm.report_statistics
"""

import functools
import json
import os

from ansible.plugins.callback import CallbackBase

from ansible_collections.fleetbench.llm.plugins.module_utils.atomic_file import write_atomically
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.collector import (
    TaskResultCollector,
    utc_now,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.console import record_line, summary_table
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.junit import junit_report
from ansible_collections.fleetbench.llm.plugins.module_utils.run_slices import FINISHED, RUNNING, write_state


def _never_raises(hook):
    """A callback error must not stop the playbook nor lose what was written before it."""
    @functools.wraps(hook)
    def guarded(self, *args, **kwargs):
        try:
            return hook(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any error here is reported, never raised
            self._display.warning(f"fleetbench.llm.results: {hook.__name__} failed ({type(exc).__name__}: {exc}); "
                                  "results already written are kept")
        return None
    return guarded


def results_folder(output_dir: str, playbook_dir: str) -> str:
    """The output folder, a relative one taken from the playbook's folder. The option is a `str`:
    a `path` option is made absolute against the working directory before this code sees it."""
    folder = os.path.expanduser(os.path.expandvars(output_dir))
    return os.path.abspath(os.path.join(playbook_dir, folder))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fleetbench.llm.results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._collector = TaskResultCollector()
        self._output_dir = "results"
        self._formats = ["json", "junit"]
        # The options' defaults live in DOCUMENTATION; set_options() reads them before any hook runs.
        self._baseline = None
        self._tolerance_pct = None
        self._confidence = None

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self._output_dir = self.get_option("output_dir")
        self._formats = self.get_option("formats")
        self._baseline = self.get_option("baseline")
        self._tolerance_pct = self.get_option("tolerance_pct")
        self._confidence = self.get_option("confidence")
        if self.get_option("run_id"):
            self._collector.explicit_run_id = self._collector.default_run_id = self.get_option("run_id")

    @_never_raises
    def v2_playbook_on_start(self, playbook):
        self._collector.playbook = os.path.basename(playbook._file_name)
        self._output_dir = results_folder(self._output_dir, playbook._basedir)
        self._collector.started_at = utc_now()

    @_never_raises
    def v2_runner_on_ok(self, result):
        self._take(result)

    @_never_raises
    def v2_runner_item_on_ok(self, result):
        self._take(result)

    @_never_raises
    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._take(result)

    @_never_raises
    def v2_runner_item_on_failed(self, result):
        self._take(result)

    @_never_raises
    def v2_runner_on_unreachable(self, result):
        message = result._result.get("msg") or "host unreachable"
        self._collector.add_failure(result._host.get_name(), f"unreachable: {message}", result._task.get_name())
        if self._collector.records:
            self._write_json()

    @_never_raises
    def v2_playbook_on_stats(self, stats):
        self._collector.finished_at = utc_now()
        records = list(self._collector.records.values())
        if not records and not self._collector.run_slice:
            return  # not a benchmark playbook: nothing to write
        # Each step on its own: a bad baseline file must not cost the table or results.json.
        self._step("writing results.json", self._write_json)
        if "junit" in self._formats:
            self._step("writing the JUnit file", self._write_junit)
        if self._collector.run_slice:
            # Last, after the slice's files: the report step merges only finished slices.
            self._step("marking the slice finished", lambda: self._write_slice_state(FINISHED))
        self._display.banner("FLEETBENCH RESULTS")
        self._step("printing the table", lambda: self._display.display(summary_table(records)))

    def _step(self, what, action):
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            self._display.warning(f"fleetbench.llm.results: {what} failed ({type(exc).__name__}: {exc})")

    def _take(self, result):
        finished = dict(self._collector.run_finished_at)
        had_slice = self._collector.run_slice
        records = self._collector.add_task_result(result._host.get_name(), result._result)
        if self._collector.run_slice and not had_slice:
            self._write_slice_state(RUNNING)
        if records or self._collector.run_finished_at != finished:
            self._write_json()  # before printing: a record that cannot be printed is still kept
        for record in records:
            self._display.display(record_line(record))

    def _write_json(self):
        if "json" in self._formats:
            self._collector.write(self._output_dir)

    def _write_slice_state(self, state):
        run_slice = self._collector.run_slice
        write_state(self._collector.run_folder(self._output_dir, run_slice["run_id"], whole_run=True), run_slice, state, utc_now())

    def _write_junit(self):
        regressed = self._regressed_hosts()
        for run_id in self._collector.run_ids():
            path = os.path.join(self._collector.run_folder(self._output_dir, run_id), "results.junit.xml")
            write_atomically(path, junit_report(self._collector.document(run_id), regressed))

    def _regressed_hosts(self):
        if not self._baseline:
            return set()
        # Imported here: the statistics stack is only needed when a baseline is given.
        from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.compare import compare_runs

        try:
            with open(self._baseline, encoding="utf-8") as stream:
                baseline = json.load(stream)
        except (OSError, ValueError) as exc:
            raise ValueError(f"baseline {self._baseline} cannot be read: {exc}") from None
        regressed = set()
        for run_id in self._collector.run_ids():
            comparison = compare_runs(self._collector.document(run_id), baseline, self._tolerance_pct,
                                      confidence=self._confidence)
            regressed.update(comparison["regressions"])
        return regressed
