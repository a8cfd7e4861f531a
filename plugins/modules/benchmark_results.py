#!/usr/bin/python
# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: benchmark_results
short_description: Sum up one benchmark run across the fleet and write it to the results folder
version_added: "0.1.0"
description:
  - Takes the result records and failures every host collected during C(fleetbench.llm.benchmark)
    and writes C(<results_dir>/<run_id>/benchmark.json). The file holds per-host states, the
    one-line cause of every failure (host, scenario, log folder) and the records.
  - In the C(fleet) mode it adds the fleet total for each scenario and repeat next to the
    per-host values it sums. Only runs whose numbers are final count.
  - Returns what AWX workflows need via C(set_stats) (headlines, failed hosts).
  - Runs on the controller.
options:
  run_id:
    description: Id of the run.
    type: str
    required: true
  results_dir:
    description: Controller results folder; the file goes to C(<results_dir>/<run_id>/benchmark.json).
    type: path
    required: true
  slice:
    description:
      - Name of the slice when the run is split into slices (C(fleetbench_run_slice)); the file then goes to
        C(<results_dir>/<run_id>/slices/<slice>/benchmark.json), apart from every other slice's.
    type: str
  fleet_mode:
    description: C(per_host) or C(fleet) (adds C(fleet_totals)).
    type: str
    default: per_host
    choices: [per_host, fleet]
  hosts:
    description: Every host the benchmark targeted.
    type: list
    elements: str
    required: true
  records:
    description: Result records (docs/contract/result-record.md) with C(host), C(run_id), C(repeat) set.
    type: list
    elements: dict
    default: []
  run_failures:
    description: Runs that failed, each with C(host), C(scenario), C(mode), C(repeat), C(cause), C(log_dir).
    type: list
    elements: dict
    default: []
  host_failures:
    description: Hosts that failed before their runs, each with C(host), C(stage), C(cause).
    type: list
    elements: dict
    default: []
  finished_hosts:
    description: Hosts that went through the whole matrix; any other host without a recorded cause is reported as failed.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: In check mode the summary is returned but not written.
  diff_mode:
    support: none
  platform:
    support: N/A
    platforms: posix
author:
  - fleetbench developers (@fleetbench)
"""

EXAMPLES = r"""
- name: Sum up the run
  fleetbench.llm.benchmark_results:
    run_id: "{{ fleetbench_run_id }}"
    results_dir: results
    fleet_mode: fleet
    hosts: "{{ groups['gpu_fleet'] }}"
    records: "{{ groups['gpu_fleet'] | map('extract', hostvars, 'fleetbench_run_records') | map('default', []) | flatten(levels=1) }}"
    run_failures: "{{ groups['gpu_fleet'] | map('extract', hostvars, 'fleetbench_run_failures') | map('default', []) | flatten(levels=1) }}"
  register: fleetbench_benchmark
"""

RETURN = r"""
results_file:
  description: Path of the summary written (or that would be written in check mode).
  returned: always
  type: str
  sample: results/20250101T000000Z/benchmark.json
failed_hosts:
  description: Hosts with any failure, in inventory order.
  returned: always
  type: list
  elements: str
failure_lines:
  description: Per failed host, one line per failure naming host, scenario, cause and log folder.
  returned: always
  type: dict
  sample: {"gpu-02": ["gpu-02 Server/performance #1: harness exit 3 (engine failure): ... (logs: results/...)"]}
headlines:
  description: Per host, the headline of each run (scenario, mode, repeat, status, valid, headline, log_dir).
  returned: always
  type: dict
hosts:
  description: Per host, C(status) (ok/failed), C(failed_stage), C(runs_recorded), C(runs_final), C(failures).
  returned: always
  type: dict
finished_at:
  description: When the run finished (every host's records summed up), ISO 8601 UTC; also in C(benchmark.json).
  returned: always
  type: str
  sample: "2025-01-01T00:12:34Z"
ansible_facts:
  description: C(fleetbench_run_finished) with C(run_id) and C(finished_at), for the results callback and the report header.
  returned: always
  type: dict
fleet_totals:
  description:
    - Fleet mode only; per scenario and repeat the C(total), C(per_host) values, C(mean_per_host) and C(hosts_missing).
    - C(measured_together) says how long the counted hosts measured at once (C(overlap_s), C(overlap_pct) of the
      shortest run) and whether that makes the total C(fleet_wide) (at least 90%), with a one-line C(verdict).
  returned: when fleet_mode is fleet
  type: list
  elements: dict
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetbench.llm.plugins.module_utils.harness.benchmark_summary import (
    RESULTS_FILE,
    summarize,
    write_summary,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import ResultRecordError
from ansible_collections.fleetbench.llm.plugins.module_utils.run_slices import slice_dir


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            run_id=dict(type="str", required=True),
            results_dir=dict(type="path", required=True),
            slice=dict(type="str"),
            fleet_mode=dict(type="str", default="per_host", choices=["per_host", "fleet"]),
            hosts=dict(type="list", elements="str", required=True),
            records=dict(type="list", elements="dict", default=[]),
            run_failures=dict(type="list", elements="dict", default=[]),
            host_failures=dict(type="list", elements="dict", default=[]),
            finished_hosts=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        summary = summarize(p["run_id"], p["fleet_mode"], p["hosts"], p["records"], p["run_failures"],
                            p["host_failures"], p["finished_hosts"])
    except ResultRecordError as exc:
        module.fail_json(msg=str(exc))
    summary["finished_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    run_dir = os.path.join(p["results_dir"], p["run_id"])
    folder = slice_dir(run_dir, p["slice"]) if p["slice"] else run_dir
    if module.check_mode:
        path = os.path.join(folder, RESULTS_FILE)
    else:
        try:
            path = write_summary(folder, summary)
        except OSError as exc:
            module.fail_json(msg=f"cannot write the summary under {p['results_dir']}: {exc.strerror}")
    summary.pop("records")
    # The run has finished once every host's records are summed up; the results callback takes this
    # fact into results.json, so the report rendered next in the same play can say when.
    finished = {"run_id": p["run_id"], "finished_at": summary["finished_at"]}
    module.exit_json(changed=not module.check_mode, results_file=path, ansible_facts={"fleetbench_run_finished": finished},
                     **summary)


if __name__ == "__main__":
    main()
