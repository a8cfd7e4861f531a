#!/usr/bin/python
# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_facts
short_description: Gather NVIDIA driver, CUDA and per-GPU configuration facts
version_added: "0.1.0"
description:
  - Reads the GPUs through NVML (the C(nvidia-ml-py) package, imported as C(pynvml)) when the
    host has it and the NVML library loads, else through C(nvidia-smi -q -x), else through
    C(nvidia-smi --query-gpu) CSV (O(method) picks one).
  - Adds what NVML does not say. The loaded kernel module version and flavour come from
    O(proc_version_path), the installed and held driver/CUDA packages from dpkg/apt or rpm/dnf,
    and the CUDA toolkit version from C(/usr/local/cuda/version.json) or C(nvcc). The
    nvidia-fabricmanager state is read where NVSwitches exist, and the CPU fingerprint and
    harness versions cover CPU-only hosts.
  - A host without GPU or without a loaded driver is not a failure. The facts then say
    RV(ansible_facts.fleetbench_gpu.gpu_present=false) and give RV(ansible_facts.fleetbench_gpu.reason).
  - Output that cannot be read fails the task with the command and the first 200 characters it
    printed.
  - The preflight role compares these facts across hosts (the drift gate).
options:
  method:
    description:
      - How to read the GPUs. V(auto) tries NVML, then C(nvidia-smi -q -x).
      - V(nvml) reports "no driver" when NVML cannot load, without trying nvidia-smi.
    type: str
    default: auto
    choices: [auto, nvml, xml, csv]
  nvidia_smi_path:
    description: The nvidia-smi command, a name looked up on PATH or an absolute path.
    type: str
    default: nvidia-smi
  proc_version_path:
    description:
      - File that tells which NVIDIA kernel module is loaded and its flavour.
      - Test hosts point this at the stand-in driver's copy.
    type: path
    default: /proc/driver/nvidia/version
  nvswitch_devices_dir:
    description: Directory whose entries are the NVSwitch devices (fabric manager is read only when some exist).
    type: path
    default: /proc/driver/nvidia-nvswitch/devices
  command_timeout:
    description:
      - Seconds to wait for each nvidia-smi call (through C(timeout) from coreutils, where present).
      - A hung driver or a GPU fallen off the bus makes nvidia-smi wait forever; the task then
        fails with a message saying so.
      - V(0) waits without limit.
    type: int
    default: 60
  harness_python:
    description:
      - Python of the harness virtual environment. When set, the vLLM, torch, transformers and
        LoadGen versions installed there are reported in RV(ansible_facts.fleetbench_gpu.harness).
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: The module only reads; check mode returns the same facts.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    support: full
    platforms: posix
author:
  - fleetbench developers (@fleetbench)
"""

EXAMPLES = r"""
- name: Gather GPU facts
  fleetbench.llm.gpu_facts:

- name: Read a stand-in driver on a test host through the CSV query
  fleetbench.llm.gpu_facts:
    method: csv
    nvidia_smi_path: /usr/bin/nvidia-smi
    proc_version_path: /etc/fleetbench-standin/loaded-module

- name: Refuse to benchmark while a driver upgrade waits for its reboot
  ansible.builtin.assert:
    that: not ansible_facts.fleetbench_gpu.reboot_pending
    fail_msg: "{{ ansible_facts.fleetbench_gpu.reboot_pending_reasons | join('; ') }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    fleetbench_gpu:
      description: NVIDIA driver, CUDA and GPU state of the host.
      returned: always
      type: dict
      contains:
        gpu_present:
          description: At least one GPU was read.
          type: bool
          sample: true
        driver_loaded:
          description: The NVIDIA kernel driver is loaded.
          type: bool
          sample: true
        reason:
          description: Why there are no GPU facts (no driver, no GPU, version mismatch); null when GPUs were read.
          type: str
          sample: nvidia-smi cannot communicate with the NVIDIA driver (not loaded)
        source:
          description: Reader that produced the GPU list, C(nvml), C(xml) or C(csv); null when none could run.
          type: str
          sample: xml
        driver_version:
          description: Driver version NVML or nvidia-smi reports.
          type: str
          sample: 570.133.20
        cuda_driver_version:
          description: CUDA driver API version the driver supports.
          type: str
          sample: "12.8"
        kernel_module_version:
          description: Version of the loaded kernel module, from O(proc_version_path).
          type: str
          sample: 570.133.20
        kernel_module_flavour:
          description: C(open) or C(proprietary) kernel module; null when none is loaded.
          type: str
          sample: open
        driver_package_version:
          description: Upstream version of the installed driver package.
          type: str
          sample: 570.133.20
        packages:
          description: Installed nvidia-*, cuda-*, libnvidia-* packages and their versions.
          type: dict
          sample: {"nvidia-driver-570": "570.133.20-0ubuntu1"}
        held_packages:
          description: Those of RV(ansible_facts.fleetbench_gpu.packages) held by apt-mark or dnf versionlock.
          type: list
          elements: str
          sample: ["nvidia-driver-570"]
        package_manager:
          description: C(apt), C(dnf), or null.
          type: str
          sample: apt
        reboot_pending:
          description: The installed driver differs from the loaded module, or NVML reports a driver/library mismatch.
          type: bool
          sample: false
        reboot_pending_reasons:
          description: Why RV(ansible_facts.fleetbench_gpu.reboot_pending) is true.
          type: list
          elements: str
          sample: ["driver/library version mismatch"]
        gpu_count:
          description: Number of GPUs read.
          type: int
          sample: 8
        gpus:
          description:
            - One entry per GPU. Keys are always present; null means the driver does not report the value.
            - C(index), C(name), C(uuid), C(pci_bus_id), C(vbios_version).
            - C(pcie_gen_current), C(pcie_gen_max), C(pcie_width_current), C(pcie_width_max).
            - C(memory_total_mib), C(memory_used_mib) (GPU level, not MIG instances).
            - C(persistence_mode), C(mig_mode), C(ecc_mode) (booleans, current mode), C(compute_mode).
            - C(power_limit_enforced_w), C(power_limit_default_w), C(power_draw_w).
            - C(clock_sm_mhz), C(clock_mem_mhz) (current), C(clock_app_sm_mhz), C(clock_app_mem_mhz)
              (application clocks), C(clock_max_sm_mhz), C(clock_max_mem_mhz).
            - C(temperature_c), C(utilization_gpu_pct), C(fabric_state).
            - C(processes), a list of C(pid), C(name), C(used_memory_mib) of running compute processes.
          type: list
          elements: dict
        cuda_toolkit_version:
          description: Installed CUDA toolkit version, null when none is installed.
          type: str
          sample: "12.8"
        nvswitch_count:
          description: NVSwitch devices found.
          type: int
          sample: 0
        fabric_manager_state:
          description: C(systemctl is-active nvidia-fabricmanager) output; null without NVSwitches.
          type: str
          sample: active
        host:
          description:
            - CPU-side fingerprint, the same keys as the harness fingerprint.
            - C(hostname), C(cpu_model), C(cpu_count) (CPUs this process may use), C(cpu_quota)
              (cores allowed by the cgroup, null if unlimited), C(memory_gib), C(kernel), C(python).
          type: dict
        harness:
          description: C(vllm), C(torch), C(transformers), C(loadgen) versions in O(harness_python); empty without it.
          type: dict
          sample: {"vllm": "0.32.0", "torch": "2.13.0+cpu"}
changed:
  description: Always false; the module only reads.
  returned: always
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.facts import (
    METHODS,
    GpuReadOptions,
    gather_gpu_facts,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import GpuOutputError


def _which(module: AnsibleModule):
    def which(name: str) -> str | None:
        if os.sep in name:
            return name if os.access(name, os.X_OK) else None
        return module.get_bin_path(name)
    return which


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            method=dict(type="str", default="auto", choices=list(METHODS)),
            nvidia_smi_path=dict(type="str", default="nvidia-smi"),
            proc_version_path=dict(type="path", default="/proc/driver/nvidia/version"),
            nvswitch_devices_dir=dict(type="path", default="/proc/driver/nvidia-nvswitch/devices"),
            harness_python=dict(type="path"),
            command_timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    options = GpuReadOptions(**module.params)
    try:
        facts = gather_gpu_facts(module.run_command, _which(module), options)
    except GpuOutputError as error:
        module.fail_json(msg=f"cannot read GPU state: {error}")
    module.exit_json(changed=False, ansible_facts={"fleetbench_gpu": facts})


if __name__ == "__main__":
    main()
