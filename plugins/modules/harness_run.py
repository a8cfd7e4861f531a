#!/usr/bin/python
# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: harness_run
short_description: Run one fleetbench-harness benchmark on a host, bounded by a timeout
version_added: "0.1.0"
description:
  - Starts C(fleetbench-harness run) for one scenario and mode in its own process group,
    detached from the connection, then watches its status file until it ends.
  - The action plugin of the same name drives the run from the controller. It starts the run,
    then looks at it about 20 times over LoadGen's min_duration (600 s for the official
    profile), never less than O(poll_interval) and never more than 30 s apart, and prints a
    progress line when the phase or the sample count moves. A look is one shell command over
    the connection already held (no module is shipped); it waits on the host for the run to
    end, so the end is seen within a second. It writes the last status and the tail of the
    harness log into O(progress_dir) on the controller at each look, so a host lost mid-run
    still leaves its partial logs behind.
  - When the run ends (finished, failed or timed out) and O(progress_dir) is set, the run's
    files come back as one archive. The host lists each file with its size and SHA-256; the
    controller checks the archive's checksum and its members (plain file names only, no
    absolute paths, no C(..), no links) before it unpacks them into O(progress_dir). The
    archive on the host is removed afterwards, and the run folder too with
    O(remove_host_copy), only once everything came back intact.
  - What the controller spent on the run (CPU seconds for start, watch and collect) and how it
    ended are written to C(fleetbench_controller.json) in O(progress_dir).
  - A run that O(progress_dir) shows already measured (it ended with outcome C(done) and its files
    came back) is not started again. The task reports it unchanged with RV(already_measured), so a
    playbook run again with the same run id measures only what is missing. O(remeasure) runs it
    again over the old files.
  - When the run exceeds O(timeout), the whole process group (harness and vLLM engine
    processes) is stopped and the task fails with the cause.
  - The task fails when the harness exits non-zero, is killed, times out or the host is lost.
    Its result holds the one-line cause and the files the run left.
options:
  harness:
    description: Path of the C(fleetbench-harness) command on the host.
    type: path
    required: true
  output:
    description: Output folder of the run on the host. It is emptied before the run starts.
    type: path
    required: true
  scenario:
    description: Scenario as the harness takes it.
    type: str
    required: true
    choices: [Offline, Server, Interactive, SingleStream]
  mode:
    description: LoadGen mode.
    type: str
    default: performance
    choices: [performance, accuracy]
  model:
    description: Model folder on the host.
    type: path
    required: true
  dataset:
    description: Dataset file on the host.
    type: path
    required: true
  dataset_sha256:
    description: Checksum the harness verifies before running.
    type: str
  profile:
    description: LoadGen profile; C(quick) runs in seconds and is never compliant.
    type: str
    default: official
    choices: [official, quick]
  total_sample_count:
    description: Use only the first N samples of the dataset.
    type: int
  loadgen_settings:
    description: LoadGen settings passed as C(--loadgen-setting KEY=VALUE).
    type: dict
    default: {}
  engine_args:
    description: vLLM engine arguments passed as C(--engine-arg KEY=VALUE).
    type: dict
    default: {}
  start_at:
    description:
      - Agreed UTC start of LoadGen's measurement, as epoch seconds or ISO 8601 with a zone, passed
        as C(--start-at). The harness loads and warms up, then waits for it; a fleet-mode run gives
        every host the same one. Unset, measuring starts as soon as the host is ready.
      - The wait counts against O(timeout).
    type: str
  server_search:
    description:
      - Run a Server capacity search instead of one run (C(--server-search); O(scenario=Server) or
        V(Interactive), O(mode=performance), no O(start_at)). The harness probes with short runs,
        bracket and bisect, for the highest target QPS whose p99 TTFT and TPOT stay within the limits,
        then runs the full-length confirm run at it into O(output) and writes
        C(fleetbench_server_search.json) beside it.
      - Keys C(start_qps), C(probes), C(confirm_tries), C(probe_duration) (seconds), C(probe_queries)
        and C(offline_samples_per_second) become C(--search-start-qps), C(--search-probes),
        C(--search-confirm-tries), C(--search-probe-duration), C(--search-probe-queries) and
        C(--offline-samples-per-second); a key left out or null keeps the harness default.
      - Every probe and confirm run counts against O(timeout).
    type: dict
  environment:
    description: Extra environment variables for the harness (e.g. C(VLLM_CPU_KVCACHE_SPACE)).
    type: dict
    default: {}
  timeout:
    description: Seconds the run may take before its process group is stopped.
    type: int
    default: 3600
  poll_interval:
    description:
      - Fewest seconds between two looks at the run. Longer runs are looked at less often
        (about 20 looks over LoadGen's min_duration, at most 30 s apart).
    type: int
    default: 5
  remove_host_copy:
    description:
      - Remove the run folder on the host once its files came back and passed every check.
        A run whose files did not come back intact keeps its folder.
    type: bool
    default: false
  progress_dir:
    description:
      - Folder on the controller that receives the last status file and the log tails at
        each poll. Nothing is written when unset.
    type: path
  label:
    description: "Prefix of the progress lines, for example V(Offline/performance #1)."
    type: str
  remeasure:
    description:
      - Run the harness even when O(progress_dir) already holds this run, measured and brought back.
    type: bool
    default: false
  phase:
    description:
      - V(whole) starts the run, watches it and brings its files back in one task, holding one
        of Ansible's forks for the whole run.
      - V(start) starts the run and returns at once (outcome V(started)); a later task with
        V(finish) and O(started) watches it and brings its files back. With hosts more than
        forks, every host's run starts in the first task instead of waiting for a fork, and
        the second task finds most runs already finished.
      - O(timeout) counts from the start in both.
    type: str
    choices: [whole, start, finish]
    default: whole
  started:
    description: The registered result of this run's V(start) task; needed by V(finish).
    type: dict
  step:
    description:
      - Internal; the action plugin calls the module with C(start), C(poll), C(stop) and
        C(collect) (pack the run's files into one archive). Leave unset.
    type: str
    choices: [start, poll, stop, collect]
  wait:
    description: Internal; seconds the C(poll) step waits for the run to end before answering.
    type: float
    default: 0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: In check mode nothing is started; the result says what would run.
  diff_mode:
    support: none
  platform:
    support: N/A
    platforms: posix
author:
  - fleetbench developers (@fleetbench)
"""

EXAMPLES = r"""
- name: Run Offline performance with the quick profile, at most ten minutes
  fleetbench.llm.harness_run:
    harness: /opt/fleetbench/venvs/harness-0.1.0/bin/fleetbench-harness
    output: /var/lib/fleetbench/runs/20250101T000000Z/Offline/performance/1
    scenario: Offline
    mode: performance
    model: /var/lib/fleetbench/models/tiny-llama
    dataset: /var/lib/fleetbench/datasets/synthetic.json
    profile: quick
    loadgen_settings:
      offline_expected_qps: 20
    engine_args:
      max_model_len: 1024
    timeout: 600
    progress_dir: "{{ playbook_dir }}/results/20250101T000000Z/{{ inventory_hostname }}/Offline/performance/1"
  register: fleetbench_run
"""

RETURN = r"""
outcome:
  description:
    - C(done) (the harness exited 0), C(failed), C(timeout), C(lost) (host unreachable mid-run) or
      C(uncollected) (the run finished but its files did not come back intact; they stay on the host).
    - C(started) from a O(phase=start) task that started the run.
  returned: always
  type: str
  sample: done
already_measured:
  description:
    - True when O(progress_dir) already held this run, measured and brought back, and nothing was
      started (O(remeasure) was false). The outcome is then C(done) and the task unchanged.
  returned: always
  type: bool
  sample: false
started_at:
  description: When the run was started (seconds since the epoch, the controller's clock).
  returned: when the run was started
  type: float
  sample: 1767225600.25
cause:
  description: One line saying why the run did not finish; null when it did.
  returned: always
  type: str
  sample: "harness exit 3: engine failed to load /models/broken: config.json not found"
exit_code:
  description: Exit code of the harness; 128+N when killed by signal N; null when unknown.
  returned: always
  type: int
  sample: 0
status:
  description: Last content of C(fleetbench_status.json) (phase, samples, tokens/s).
  returned: always
  type: dict
collected:
  description: Files brought back to O(progress_dir) from the run's archive, after every check passed.
  returned: always
  type: list
  elements: str
  sample: [fleetbench_run.json, fleetbench_status.json, harness.log, mlperf_log_detail.txt]
collect_problem:
  description: One line naming host, run folder and cause when the files did not come back intact; null otherwise.
  returned: always
  type: str
controller_cpu_s:
  description: CPU seconds the controller spent on the run, by stage (C(start), C(watch), C(collect)).
  returned: when the run was started
  type: dict
  sample: {start: 0.41, watch: 0.62, collect: 0.35}
looks:
  description: How the run was watched, C(reads) (shell commands) and C(module_polls) (module runs).
  returned: when the run was started
  type: dict
  sample: {reads: 21, module_polls: 1}
files:
  description: Files in the output folder when the run ended.
  returned: always
  type: list
  elements: str
  sample: [fleetbench_run.json, fleetbench_status.json, harness.log, mlperf_log_detail.txt]
output:
  description: Output folder on the host.
  returned: always
  type: str
elapsed_s:
  description: Seconds from start to end as seen by the controller.
  returned: always
  type: float
command:
  description: The harness command line.
  returned: always
  type: list
  elements: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetbench.llm.plugins.module_utils.harness.command import HarnessCommandError, harness_command
from ansible_collections.fleetbench.llm.plugins.module_utils.harness.process import (
    HarnessProcessError,
    poll,
    start,
    stop,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.harness.run_archive import RunArchiveError, build_archive

ARGUMENT_SPEC = dict(
    harness=dict(type="path", required=True),
    output=dict(type="path", required=True),
    scenario=dict(type="str", required=True, choices=["Offline", "Server", "Interactive", "SingleStream"]),
    mode=dict(type="str", default="performance", choices=["performance", "accuracy"]),
    model=dict(type="path", required=True),
    dataset=dict(type="path", required=True),
    dataset_sha256=dict(type="str"),
    profile=dict(type="str", default="official", choices=["official", "quick"]),
    total_sample_count=dict(type="int"),
    loadgen_settings=dict(type="dict", default={}),
    engine_args=dict(type="dict", default={}),
    start_at=dict(type="str"),
    server_search=dict(type="dict"),
    environment=dict(type="dict", default={}),
    timeout=dict(type="int", default=3600),
    poll_interval=dict(type="int", default=5),
    progress_dir=dict(type="path"),
    remove_host_copy=dict(type="bool", default=False),
    remeasure=dict(type="bool", default=False),
    label=dict(type="str"),
    phase=dict(type="str", choices=["whole", "start", "finish"], default="whole"),
    started=dict(type="dict"),
    step=dict(type="str", choices=["start", "poll", "stop", "collect"]),
    wait=dict(type="float", default=0),
)


def run_step(params: dict, check_mode: bool) -> dict:
    command = harness_command(params)
    if params["step"] == "start":
        if check_mode:
            return {"changed": True, "command": command}
        env = {str(k): str(v) for k, v in params["environment"].items()}
        return dict(start(command, params["output"], env), changed=True, command=command)
    if params["step"] == "poll":
        return dict(poll(params["output"], params["wait"]), changed=False)
    if params["step"] == "collect":
        return dict(pack(params["output"]), changed=True)
    return dict(stop(params["output"]), changed=True)


def pack(output: str) -> dict:
    """The run's files in one archive in the host's temporary folder (not beside the run: its
    disk may be the one that is full); the controller removes it once fetched."""
    handle, archive = tempfile.mkstemp(prefix="fleetbench-run-", suffix=".tar.gz")
    os.close(handle)
    try:
        packed = build_archive(output, archive)
        os.chmod(archive, 0o644)
    except (RunArchiveError, OSError):
        os.unlink(archive)
        raise
    return packed


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if module.params["step"] is None:
        module.fail_json(msg="harness_run runs through its action plugin: call it as fleetbench.llm.harness_run")
    try:
        module.exit_json(**run_step(module.params, module.check_mode))
    except (HarnessCommandError, HarnessProcessError, RunArchiveError) as exc:
        module.fail_json(msg=f"{module.params['output']}: {exc}")
    except OSError as exc:
        module.fail_json(msg=f"{module.params['output']}: {exc.strerror or exc}")


if __name__ == "__main__":
    main()
