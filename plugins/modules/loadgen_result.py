#!/usr/bin/python
# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: loadgen_result
short_description: Read one MLPerf LoadGen output folder into a fleetbench result record
version_added: "0.1.0"
description:
  - Reads C(mlperf_log_detail.txt) (the C(:::MLLOG) key/value lines, the primary source),
    C(mlperf_log_summary.txt) (fallback, checked against the detail log),
    C(mlperf_log_accuracy.json), and the reference C(accuracy.txt) when present, for every
    LoadGen scenario (Offline, Server including Interactive, SingleStream, MultiStream),
    every benchmark, and LoadGen 4.x to 6.x.
  - Also reads the fleetbench harness files written beside them, C(fleetbench_status.json),
    C(fleetbench_run.json) and C(fleetbench_accuracy.json), for the run's status,
    settings compliance and accuracy scores.
  - Returns the result record defined in C(plugins/module_utils/result_record.py), the one
    data model the results callback and the report filters also read.
  - Anything unreadable or inconsistent (empty or truncated file, garbled line, a log cut
    off mid-run, a summary that contradicts the detail log) is listed in
    RV(loadgen.problems) with its file and line and shown as a warning. The numbers that
    could be read are kept, and the record is then not final.
  - What names the run (host, run id, repeat, scenario label, fleet mode) is not in the logs.
    Pass it as options and the record comes back complete, ready for the results callback and
    the report, with nothing to add to it.
  - Only reads files, so it runs on the host that wrote the logs or, delegated to
    C(localhost), on the controller after they were fetched.
options:
  path:
    description: Folder holding the LoadGen output of one scenario and mode.
    type: path
    required: true
  benchmark:
    description:
      - Benchmark or model key to record, such as C(llama3_1-8b). LoadGen's logs do not name it.
      - Defaults to C(model_key) from C(fleetbench_run.json) when that file is present.
    type: str
  stale_after:
    description:
      - Seconds after which a C(fleetbench_status.json) still in progress counts as abandoned.
        The harness rewrites it every second, so an old one means the harness died; the
        result is then C(partial) instead of C(running), with a problem saying so.
      - Compares the file's C(updated_at) with the clock of the machine the module runs on;
        allow for clock skew when parsing fetched files on the controller.
      - V(0) never calls a run abandoned.
    type: int
    default: 300
  host:
    description:
      - Inventory name of the host that ran the benchmark, recorded as RV(loadgen.host).
      - Left null when omitted; the results callback then fills in the host the task ran for.
    type: str
  run_id:
    description: Run id the result belongs to, recorded as RV(loadgen.run_id).
    type: str
  repeat:
    description: Which repeat of the scenario and mode this is (1 for the first), recorded as RV(loadgen.repeat).
    type: int
  scenario_label:
    description:
      - The scenario as the user asked for it, such as C(Interactive) for a Server run with
        interactive limits, recorded as RV(loadgen.scenario_label).
      - Defaults to the scenario in C(fleetbench_run.json), else LoadGen's scenario.
    type: str
  fleet_mode:
    description:
      - C(per_host) when the host ran on its own, C(fleet) when every host ran at the same
        moment; recorded as RV(loadgen.fleet_mode). The report sums only C(fleet) runs.
    type: str
    choices: [per_host, fleet]
    default: per_host
  require_complete:
    description:
      - Fail the task unless the result is final, meaning LoadGen finished, every file read
        cleanly and no sample was lost.
      - The record is returned in RV(loadgen) either way.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads files; check mode returns the same result.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
author:
  - fleetbench developers (@fleetbench)
"""

EXAMPLES = r"""
- name: Read the Server performance run of this host
  fleetbench.llm.loadgen_result:
    path: /var/lib/fleetbench/runs/r1/Server/performance
  register: server_result

- name: Read fetched logs on the controller and insist on a final result
  fleetbench.llm.loadgen_result:
    path: "results/{{ fleetbench_run_id }}/{{ inventory_hostname }}/Offline/performance"
    benchmark: llama3_1-8b
    stale_after: 900
    require_complete: true
  delegate_to: localhost

- name: Read a run of the benchmark matrix with what names it
  fleetbench.llm.loadgen_result:
    path: "results/r1/{{ inventory_hostname }}/Server/performance"
    host: "{{ inventory_hostname }}"
    run_id: r1
    repeat: 2
    scenario_label: Interactive
    fleet_mode: fleet
  delegate_to: localhost

- name: Report the headline metric
  ansible.builtin.debug:
    msg: >-
      {{ server_result.scenario }}: {{ server_result.loadgen.headline.value }}
      {{ server_result.loadgen.headline.unit }}, valid={{ server_result.valid }}
"""

RETURN = r"""
valid:
  description: LoadGen's verdict (VALID is true). Null in accuracy mode and when the run is not complete.
  returned: always
  type: bool
  sample: true
scenario:
  description: LoadGen's effective scenario, C(Offline), C(Server), C(SingleStream) or C(MultiStream).
  returned: always
  type: str
  sample: Server
mode:
  description: C(performance) or C(accuracy), plus C(submission) and C(find_peak_performance) for those LoadGen modes.
  returned: always
  type: str
  sample: performance
samples_per_second:
  description: Samples per second (completed samples for Server); null when not reported.
  returned: always
  type: float
  sample: 996.526
tokens_per_second:
  description: Tokens per second (completed tokens for Server); null when not reported.
  returned: always
  type: float
  sample: 128541.0
status:
  description: C(complete), C(partial) (cut off or unreadable), C(failed) (harness failed) or C(running).
  returned: always
  type: str
  sample: complete
is_final:
  description: Complete, read without problems and without lost samples; only such results belong in a final table.
  returned: always
  type: bool
  sample: true
not_final_reason:
  description: Why the result is not final, in one line; null when it is final.
  returned: always
  type: str
  sample: status is partial, 2 problem(s) reading the logs
run_failure:
  description:
    - Null unless LoadGen judged the run INVALID (C(outcome) V(invalid)) or did not finish
      (C(outcome) V(incomplete)); C(cause) is one line with LoadGen's reasons or the problems read.
    - Lost samples in a finished run are not a run failure; the report shows them as an error.
  returned: always
  type: dict
  sample: {"outcome": "invalid", "cause": "LoadGen INVALID: the run was shorter than min_duration"}
loadgen:
  description:
    - The result record; every key is described in C(docs/contract/result-record.md).
    - Detail-log keys the record does not map are kept verbatim under RV(loadgen.extra).
  returned: always
  type: dict
  contains:
    host:
      description: The host, from O(host); null when not given.
      type: str
      sample: gpu-node-01
    run_id:
      description: The run id, from O(run_id); null when not given.
      type: str
      sample: r1
    repeat:
      description: The repeat, from O(repeat); null when not given.
      type: int
      sample: 1
    scenario_label:
      description: The scenario as asked for, from O(scenario_label) or C(fleetbench_run.json).
      type: str
      sample: Interactive
    fleet_mode:
      description: C(per_host) or C(fleet), from O(fleet_mode).
      type: str
      sample: per_host
    headline:
      description: The scenario's metric as C(name), C(value), C(unit); null in accuracy mode.
      type: dict
      sample: {"name": "completed_tokens_per_second", "value": 128541.0, "unit": "tokens/s"}
    invalid_reasons:
      description: One C(check), C(message) pair per failed LoadGen check, then LoadGen's recommendation.
      type: list
      elements: dict
      sample: [{"check": "min_duration", "message": "the run was shorter than min_duration"}]
    latency_ns:
      description: Latency statistics in nanoseconds (C(mean), C(min), C(max), C(p50) ... C(p99.9)).
      type: dict
      sample: {"p50": 4275247856, "p99": 6192651741}
    ttft_ns:
      description: Time-to-first-token statistics in nanoseconds, LLM runs with token latencies; else null.
      type: dict
      sample: {"p99": 1749395239}
    tpot_ns:
      description: Time-per-output-token statistics in nanoseconds, LLM runs with token latencies; else null.
      type: dict
      sample: {"p99": 42112172}
    server_search:
      description:
        - A Server capacity search (C(fleetbench_server_search.json) beside the confirm run), else null. Holds every
          probe and confirm run (C(qps), C(valid), C(within_limits), completed tokens/s, p99 TTFT/TPOT),
          C(highest_valid_qps) and C(confirmed); docs/contract/README.md.
      type: dict
      sample: {"highest_valid_qps": 12.0, "confirmed": true, "probes": []}
    settings:
      description: Test parameters as LoadGen used them (C(target_qps), C(min_duration_ms), C(ttft_latency_ns), ...).
      type: dict
      sample: {"target_qps": 1000, "min_duration_ms": 600000}
    samples_issued:
      description: Samples issued, from LoadGen once it finished, else from the harness status file.
      type: int
      sample: 601560
    samples_completed:
      description: Samples completed; fewer than RV(loadgen.samples_issued) is reported as an error.
      type: int
      sample: 601560
    errors:
      description: LoadGen errors with their text, lost samples, and the harness error.
      type: list
      elements: str
      sample: ["error_runtime: Ending early: Ran out of generated queries to issue"]
    warnings:
      description: LoadGen warnings with their text.
      type: list
      elements: str
      sample: []
    problems:
      description: What could not be read or did not agree, each with C(file), C(line) and C(message).
      type: list
      elements: dict
      sample: [{"file": "mlperf_log_detail.txt", "line": 57, "message": "':::MLLOG' record is not valid JSON"}]
    loadgen:
      description: LoadGen C(version), C(git_commit) and build date.
      type: dict
      sample: {"version": "6.0.17", "git_commit": "a1b2c3d4e5"}
    extra:
      description: Detail-log keys no other field maps, verbatim, and C(accuracy_log_entries).
      type: dict
      sample: {"result_scheduled_samples_per_sec": 999.465, "qsl_name": "PyQSL"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.result_task import RunIdentity, run_loadgen_result

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "benchmark": {"type": "str"},
    "stale_after": {"type": "int", "default": 300},
    "require_complete": {"type": "bool", "default": False},
    "host": {"type": "str"},
    "run_id": {"type": "str"},
    "repeat": {"type": "int"},
    "scenario_label": {"type": "str"},
    "fleet_mode": {"type": "str", "choices": ["per_host", "fleet"], "default": "per_host"},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    identity = RunIdentity(**{name: params[name] for name in ("host", "run_id", "repeat", "scenario_label", "fleet_mode")})
    outcome = run_loadgen_result(params["path"], params["benchmark"], params["stale_after"], params["require_complete"], identity)
    for warning in outcome.warnings:
        module.warn(warning)
    if outcome.failure:
        module.fail_json(msg=outcome.failure, **outcome.result)
    module.exit_json(**outcome.result)


if __name__ == "__main__":
    main()
