# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather `fleetbench_gpu` facts: NVML first, then `nvidia-smi -q -x`, then the CSV query.

A host without GPU or driver gets facts that say so; only output that no reader can make
sense of raises GpuOutputError (the module turns it into fail_json quoting the output).
"""
from __future__ import annotations

import re
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu import driver_state as state
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.nvml import NvmlUnavailable, read_nvml
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import GpuOutputError
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_csv import (
    PROCESS_QUERY_FIELDS,
    QUERY_FIELDS,
    driver_version_from_rows,
    gpus_from_rows,
    parse_query_csv,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_table import parse_smi_table
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_xml import parse_smi_xml
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.host_fingerprint import (
    harness_versions,
    host_fingerprint,
)

METHODS = ("auto", "nvml", "xml", "csv")
_NO_DRIVER = ("couldn't communicate with the nvidia driver", "driver not loaded",
              "no nvidia driver", "nvml shared library not found")
_MISMATCH = "driver/library version mismatch"
_NO_DEVICES = "no devices were found"
_REJECTED_FIELD = re.compile(r'Field "([^"]+)" is not a valid field to query')


class GpuReadOptions(t.NamedTuple):
    method: str = "auto"
    nvidia_smi_path: str = "nvidia-smi"
    proc_version_path: str = "/proc/driver/nvidia/version"
    nvswitch_devices_dir: str = "/proc/driver/nvidia-nvswitch/devices"
    harness_python: str | None = None
    command_timeout: int = 60


def _smi_state(rc: int, out: str, err: str) -> dict | None:
    """The driver state an nvidia-smi failure reports, or None when it printed data."""
    text = f"{out}\n{err}".lower()
    if _MISMATCH in text:
        return {"driver_loaded": True, "version_mismatch": True, "gpus": [],
                "reason": "nvidia-smi: Driver/library version mismatch (installed driver differs "
                          "from the loaded kernel module: reboot pending)"}
    if rc == 9 or any(marker in text for marker in _NO_DRIVER):
        return {"driver_loaded": False, "gpus": [],
                "reason": "nvidia-smi cannot communicate with the NVIDIA driver (not loaded)"}
    if rc == 6 or _NO_DEVICES in text:
        return {"driver_loaded": True, "gpus": [], "reason": "driver loaded, no GPU found"}
    return None


def _run_smi(run_command, argv: list) -> tuple[dict | None, str]:
    rc, out, err = run_command(argv)
    found = _smi_state(rc, out, err)
    if found is None and rc != 0:
        raise GpuOutputError(f"{' '.join(argv)} exited {rc}", out + err)
    return found, out


def bounded(run_command, which, seconds: int):
    """run_command that gives up on nvidia-smi after `seconds`: a hung driver or a GPU fallen
    off the bus makes it wait forever, and the whole play with it."""
    timeout = which("timeout")
    if not timeout or not seconds:
        return run_command

    def run(argv: list) -> tuple:
        rc, out, err = run_command([timeout, "--kill-after=5", str(seconds), *argv])
        if rc in (124, 137):
            raise GpuOutputError(f"{' '.join(argv)} did not answer within {seconds} s "
                                 "(hung driver or a GPU off the bus?)", out + err)
        return rc, out, err
    return run


def read_smi_xml(run_command, smi: str) -> dict:
    found, out = _run_smi(run_command, [smi, "-q", "-x"])
    if found is not None:
        return found
    try:
        parsed = parse_smi_xml(out)
    except GpuOutputError as error:
        error.args = (f"{smi} -q -x: {error}",)
        raise
    return {"driver_loaded": True, **parsed}


def _query_gpus(run_command, smi: str, fmt: str) -> tuple[dict | None, str, list]:
    """Run --query-gpu, dropping each field this driver rejects: one unknown field fails the
    whole query, and older drivers do not know every field newer ones add."""
    fields = list(QUERY_FIELDS)
    while True:
        rc, out, err = run_command([smi, f"--query-gpu={','.join(fields)}", fmt])
        rejected = _REJECTED_FIELD.search(out + err)
        if rc != 0 and rejected and rejected.group(1) in fields and len(fields) > 1:
            fields.remove(rejected.group(1))
            continue
        found = _smi_state(rc, out, err)
        if found is None and rc != 0:
            raise GpuOutputError(f"{smi} --query-gpu exited {rc}", out + err)
        return found, out, fields


def read_smi_csv(run_command, smi: str) -> dict:
    fmt = "--format=csv,noheader,nounits"
    found, out, fields = _query_gpus(run_command, smi, fmt)
    if found is not None:
        return found
    try:
        rows = parse_query_csv(out, fields)
    except GpuOutputError as error:
        error.args = (f"{smi} --query-gpu: {error}",)
        raise
    _state, apps = _run_smi(run_command, [smi, f"--query-compute-apps={','.join(PROCESS_QUERY_FIELDS)}", fmt])
    processes = parse_query_csv(apps, PROCESS_QUERY_FIELDS) if apps.strip() else []
    # The CUDA version is not a query field every driver accepts; the table header has it.
    _state, table = _run_smi(run_command, [smi])
    return {
        "driver_loaded": True,
        "driver_version": driver_version_from_rows(rows),
        "cuda_driver_version": parse_smi_table(table)["cuda_driver_version"],
        "gpus": gpus_from_rows(rows, processes),
    }


def read_gpus(run_command, which, options: GpuReadOptions, nvml=None) -> dict:
    """GPU state from the first reader that works; adds `source`."""
    notes = []
    if options.method in ("auto", "nvml"):
        try:
            return {"source": "nvml", **read_nvml(nvml)}
        except NvmlUnavailable as error:
            notes.append(str(error))
            if options.method == "nvml":
                return {"source": "nvml", "driver_loaded": False, "gpus": [], "reason": str(error)}
    smi = which(options.nvidia_smi_path)
    if smi is None:
        notes.append(f"{options.nvidia_smi_path} not found")
        return {"source": None, "driver_loaded": False, "gpus": [], "reason": "; ".join(notes)}
    run_smi = bounded(run_command, which, options.command_timeout)
    if options.method == "csv":
        return {"source": "csv", **read_smi_csv(run_smi, smi)}
    return {"source": "xml", **read_smi_xml(run_smi, smi)}


def _reboot_reasons(read: dict, module: dict, package_version: str | None) -> list:
    reasons = []
    if read.get("version_mismatch"):
        reasons.append("driver/library version mismatch")
    loaded = module["kernel_module_version"]
    if loaded and package_version and loaded != package_version:
        reasons.append(f"installed driver package {package_version} != loaded kernel module {loaded}")
    if loaded and read.get("driver_version") and loaded != read["driver_version"]:
        reasons.append(f"user-space driver {read['driver_version']} != loaded kernel module {loaded}")
    return reasons


def gather_gpu_facts(run_command, which, options: GpuReadOptions, nvml=None) -> dict:
    """The complete `fleetbench_gpu` fact dict (keys documented in the module's RETURN)."""
    read = read_gpus(run_command, which, options, nvml)
    module = state.parse_kernel_module(state.read_text(options.proc_version_path))
    packages = state.read_packages(run_command, which)
    package_version = state.driver_package_version(packages["packages"])
    reasons = _reboot_reasons(read, module, package_version)
    switches = state.nvswitch_count(options.nvswitch_devices_dir)
    gpus = read.get("gpus") or []
    driver_loaded = bool(read.get("driver_loaded")) or module["kernel_module_version"] is not None
    reason = read.get("reason")
    if not gpus and reason is None:
        reason = "driver loaded, no GPU found"
    return {
        "gpu_present": bool(gpus),
        "driver_loaded": driver_loaded,
        "reason": reason,
        "source": read.get("source"),
        "driver_version": read.get("driver_version"),
        "cuda_driver_version": read.get("cuda_driver_version"),
        **module,
        "driver_package_version": package_version,
        **packages,
        "reboot_pending": bool(reasons),
        "reboot_pending_reasons": reasons,
        "gpu_count": len(gpus),
        "gpus": gpus,
        "cuda_toolkit_version": state.cuda_toolkit_version(run_command, which),
        "nvswitch_count": switches,
        "fabric_manager_state": state.fabric_manager_state(run_command, which, switches),
        "host": host_fingerprint(),
        "harness": harness_versions(run_command, options.harness_python),
    }
