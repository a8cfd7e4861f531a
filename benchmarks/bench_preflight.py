#!/usr/bin/env python3
"""Time the drift gate: drift_report over a large fleet, nvidia-smi XML parsing, and a real
`ansible-playbook playbooks/preflight.yml` over local stand-in hosts.

    python benchmarks/bench_preflight.py [--hosts 20] [--no-write]

Writes the numbers to BENCHMARKS.md's bench-preflight section.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "collections"), str(REPO)]

from benchmarks import machine, sections  # noqa: E402

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.drift import drift_report  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import new_gpu  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_xml import parse_smi_xml  # noqa: E402
from tests.pytest_plugins.gpu import STANDIN, write_loaded_module  # noqa: E402

SECTION_START = "<!-- bench-preflight:start -->"
SECTION_END = "<!-- bench-preflight:end -->"
FLEET = 500
GPUS_PER_HOST = 8


def cpu_seconds(function, repeats: int) -> float:
    times = []
    for _repeat in range(repeats):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return statistics.median(times)


def synthetic_fleet() -> dict:
    fleet = {}
    for n in range(FLEET):
        driver = "535.247.01" if n % 170 == 3 else "570.133.20"
        fleet[f"gpu-{n:03d}"] = {
            "driver_version": driver, "cuda_driver_version": "12.8", "gpu_count": GPUS_PER_HOST,
            "gpus": [new_gpu(index=i, name="NVIDIA H100 80GB HBM3", power_limit_enforced_w=700.0,
                             pcie_width_current=16 if (n, i) != (42, 5) else 8, ecc_mode=True)
                     for i in range(GPUS_PER_HOST)],
            "host": {"cpu_model": "Xeon", "cpu_count": 224}, "harness": {"vllm": "0.10.2"},
        }
    return fleet


def standin_inventory(folder: pathlib.Path, hosts: int) -> pathlib.Path:
    lines = ["[gpu]"]
    for n in range(hosts):
        host = folder / f"h{n:02d}"
        host.mkdir()
        driver = "535.247.01" if n == hosts - 1 else "570.133.20"
        (host / "gpu.json").write_text(json.dumps({
            "driver_version": driver, "cuda_version": "12.8", "loaded_module_file": str(host / "module"),
            "gpus": [{"name": "NVIDIA H100 80GB HBM3"}] * GPUS_PER_HOST}))
        write_loaded_module(host / "module", driver)
        smi = host / "nvidia-smi"
        smi.write_text(f'#!/bin/sh\nFLEETBENCH_STANDIN_STATE={host / "gpu.json"} exec {sys.executable} {STANDIN} "$@"\n')
        smi.chmod(0o755)
        options = {"nvidia_smi_path": str(smi), "proc_version_path": str(host / "module")}
        lines.append(f"h{n:02d} fleetbench_gpu_facts_options='{json.dumps(options)}'")
    lines += ["[gpu:vars]", "ansible_connection=local", f"ansible_python_interpreter={sys.executable}"]
    inventory = folder / "hosts.ini"
    inventory.write_text("\n".join(lines) + "\n")
    return inventory


def time_playbook(hosts: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = pathlib.Path(scratch)
        inventory = standin_inventory(folder, hosts)
        env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
               "PATH": f"{REPO / '.venv/bin'}:{os.environ.get('PATH', '')}"}
        start = time.monotonic()
        proc = subprocess.run(
            [str(REPO / ".venv/bin/ansible-playbook"), "-i", str(inventory), "playbooks/preflight.yml",
             "-e", json.dumps({"fleetbench_results_dir": str(folder / "results"), "fleetbench_run_id": "bench",
                               "fleetbench_drift_policy": "warn"})],
            cwd=REPO, env=env, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - start
        drift = json.loads((folder / "results/bench/drift.json").read_text())
        if proc.returncode != 0 or drift["differing_fields"] != ["driver", "kernel_module"]:
            raise SystemExit(f"preflight run went wrong (rc {proc.returncode}): {proc.stdout[-1500:]}")
        return elapsed, len(drift["compared_hosts"])


def section(numbers: dict, hosts: int) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        SECTION_START,
        "## bench-preflight: gpu_facts and the drift gate",
        "",
        "Command: `make bench-preflight` (runs `python benchmarks/bench_preflight.py`)",
        "",
        f"Machine: {machine.summary()}, ansible.cfg forks=16",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| `drift_report`, {FLEET} hosts x {GPUS_PER_HOST} GPUs, 25 fields (median of 5, CPU time) | "
        f"{numbers['drift_s'] * 1000:.0f} ms |",
        f"| `parse_smi_xml`, real 74 KB RTX 4090 `-q -x` (median of 50, CPU time) | {numbers['xml_ms']:.2f} ms |",
        f"| `ansible-playbook playbooks/preflight.yml`, {hosts} local stand-in hosts x {GPUS_PER_HOST} GPUs "
        f"(wall time, one run) | {numbers['playbook_s']:.1f} s ({numbers['playbook_s'] / hosts:.2f} s per host) |",
        "",
        f"Measured {now}. The playbook time is dominated by Ansible starting one Python module per host "
        "on 2 cores shared with other work; over SSH the per-host cost is paid in parallel up to `forks`.",
        SECTION_END,
    ])


def write_section(text: str, benchmarks_md: pathlib.Path) -> None:
    """Replace this benchmark's section in BENCHMARKS.md, leaving every other section alone."""
    sections.write_section(benchmarks_md, text, SECTION_START, SECTION_END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    fleet = synthetic_fleet()
    xml = (REPO.parent / "shared/corpus/nvidia_smi/netdata_rtx-4090_535.86.05_q-x.xml")
    xml_text = xml.read_text() if xml.exists() else None
    numbers = {
        "drift_s": cpu_seconds(lambda: drift_report(fleet), 5),
        "xml_ms": cpu_seconds(lambda: parse_smi_xml(xml_text), 50) * 1000 if xml_text else float("nan"),
    }
    numbers["playbook_s"], compared = time_playbook(args.hosts)
    text = section(numbers, compared)
    print(text)
    if not args.no_write:
        write_section(text, REPO / "BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
