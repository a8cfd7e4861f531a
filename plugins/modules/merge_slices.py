#!/usr/bin/python
# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: merge_slices
short_description: Merge the slices of one benchmark run into the run's results.json
version_added: "0.1.0"
description:
  - A run split into slices (an AWX sliced job template, or jobs started with C(fleetbench_slice)
    and C(fleetbench_slice_count)) leaves one folder per slice under C(<results_dir>/<run_id>/slices/),
    each with its own C(results.json) and C(state.json).
  - Once every slice has finished, writes C(<results_dir>/<run_id>/results.json) as one job over all the
    slices' hosts would have written it (records, host facts, failures, and a drift table comparing every
    host), plus the list of slices, so the C(fleetbench.llm.report) role renders one fleet report.
  - Fails, naming the slice, when a slice is missing, still running, finished without results, or shares
    a host with another slice.
  - Runs on the controller.
options:
  run_id:
    description: Id of the run the slices share.
    type: str
    required: true
  results_dir:
    description: Controller results folder that holds C(<run_id>/slices/).
    type: path
    required: true
  slice_count:
    description:
      - How many slices the run has. Without it, the count each slice recorded is used.
      - Give it from the report step to refuse a run where a whole slice never started.
    type: int
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: In check mode the slices are checked and merged but nothing is written.
  diff_mode:
    support: none
  platform:
    support: N/A
    platforms: posix
author:
  - fleetbench developers (@fleetbench)
"""

EXAMPLES = r"""
- name: Merge the slices of an AWX sliced job
  fleetbench.llm.merge_slices:
    run_id: "{{ fleetbench_run_id }}"
    results_dir: /mnt/fleetbench-results
    slice_count: 3
"""

RETURN = r"""
results_file:
  description: The merged results.json (written, or that would be written in check mode).
  returned: success
  type: str
  sample: /mnt/fleetbench-results/awx-412/results.json
slices:
  description: The slices merged, in order.
  returned: success
  type: list
  elements: str
  sample: [slice-1, slice-2, slice-3]
hosts:
  description: Every host of the merged run.
  returned: success
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetbench.llm.plugins.module_utils.atomic_file import write_json_atomically
from ansible_collections.fleetbench.llm.plugins.module_utils.run_slices import (
    RESULTS_FILE,
    SliceError,
    check_complete,
    merge,
    read_slices,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            run_id=dict(type="str", required=True),
            results_dir=dict(type="path", required=True),
            slice_count=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    run_dir = os.path.join(p["results_dir"], p["run_id"])
    try:
        slices = read_slices(run_dir)
        check_complete(run_dir, slices, p["slice_count"])
        merged = merge(p["run_id"], slices)
    except SliceError as exc:
        module.fail_json(msg=f"run {p['run_id']}: {exc}")
    path = os.path.join(run_dir, RESULTS_FILE)
    if not module.check_mode:
        try:
            write_json_atomically(path, merged, default=str)
        except OSError as exc:
            module.fail_json(msg=f"run {p['run_id']}: cannot write {path}: {exc.strerror}")
    module.exit_json(changed=not module.check_mode, results_file=path, slices=[s["name"] for s in slices],
                     hosts=sorted(merged["hosts"]))


if __name__ == "__main__":
    main()
