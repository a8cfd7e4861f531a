"""The stand-in nvidia-smi prints what the collection's own readers parse back to its state,
and fails the way a real driver does (no module: exit 9; mismatch: exit 18; bad field: exit 2)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_csv import gpus_from_rows, parse_query_csv
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_table import parse_smi_table
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_xml import parse_smi_xml

GPUS = [
    {"name": "NVIDIA H100 80GB HBM3", "vbios": "96.00.A5.00.01", "power_limit_w": 700, "memory_used_mib": 19818,
     "clocks": {"max_sm": 1980}, "pcie": {"gen": 5, "width": 16},
     "processes": [{"pid": 11345, "name": "./gpu_burn", "used_memory_mib": 15690}]},
    {"name": "NVIDIA H100 80GB HBM3", "power_limit_w": None, "ecc": None, "mig": True, "persistence": False},
]


@pytest.fixture
def smi(standin_host):
    host = standin_host(driver="575.57.08", cuda="12.9", gpus=GPUS)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(host.smi), *args], capture_output=True, text=True, timeout=30, check=False)
    run.host = host
    return run


def test_xml_reads_back_as_the_state(smi):
    parsed = parse_smi_xml(smi("-q", "-x").stdout)
    assert (parsed["driver_version"], parsed["cuda_driver_version"], parsed["attached_gpus"]) == ("575.57.08", "12.9", 2)
    first, second = parsed["gpus"]
    assert (first["vbios_version"], first["power_limit_enforced_w"], first["memory_used_mib"]) == ("96.00.A5.00.01", 700, 19818)
    assert (first["clock_max_sm_mhz"], first["pcie_gen_current"], first["pcie_width_current"]) == (1980, 5, 16)
    assert first["processes"] == [{"pid": 11345, "name": "./gpu_burn", "used_memory_mib": 15690}]
    assert (second["power_limit_enforced_w"], second["ecc_mode"], second["mig_mode"], second["persistence_mode"]) == (
        None, None, True, False)


@pytest.mark.parametrize("fmt", ["csv", "csv,noheader", "csv,nounits", "csv,noheader,nounits"])
def test_csv_query_in_every_format(smi, fmt):
    fields = ["name", "memory.used", "enforced.power.limit", "ecc.mode.current"]
    out = smi(f"--query-gpu={','.join(fields)}", f"--format={fmt}").stdout
    gpus = gpus_from_rows(parse_query_csv(out, None if "noheader" not in fmt else fields))
    assert [(g["memory_used_mib"], g["power_limit_enforced_w"], g["ecc_mode"]) for g in gpus] == [
        (19818, 700, True), (0, None, None)]
    if "nounits" not in fmt:
        assert "19818 MiB" in out and "[N/A]" in out


def test_unknown_query_field_fails_the_whole_query(smi):
    proc = smi("--query-gpu=name,cuda_version", "--format=csv")
    assert proc.returncode == 2
    assert proc.stdout.startswith('Field "cuda_version" is not a valid field to query.')


def test_default_table_reads_back(smi):
    table = smi().stdout
    parsed = parse_smi_table(table)
    assert (parsed["driver_version"], parsed["cuda_driver_version"], len(parsed["gpus"])) == ("575.57.08", "12.9", 2)
    assert parsed["gpus"][0]["processes"][0]["pid"] == 11345
    widths = {len(line) for line in table.splitlines() if line.startswith(("|", "+"))}
    assert widths == {91}, "the 550+ layout is 91 columns wide"


def test_no_loaded_module_exits_9(smi):
    smi.host.proc_version.unlink()
    proc = smi("-q", "-x")
    assert proc.returncode == 9 and "couldn't communicate with the NVIDIA driver" in proc.stdout


def test_installed_newer_than_loaded_is_a_version_mismatch(smi):
    smi.host.proc_version.write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.133.20  Thu\n")
    proc = smi("--query-gpu=name", "--format=csv")
    assert proc.returncode == 18
    assert proc.stdout.splitlines()[0] == "Failed to initialize NVML: Driver/library version mismatch"


def test_runs_with_the_standard_library_only():
    # Test hosts have a bare Debian python3: nothing but the stdlib may be imported.
    from tests.pytest_plugins.gpu import STANDIN
    code = ("import sys, runpy; sys.argv=['nvidia-smi','--version'];"
            f"before=set(sys.modules); runpy.run_path({str(STANDIN)!r}, run_name='x');"
            "extra=[m for m in set(sys.modules)-before if m.split('.')[0] not in sys.stdlib_module_names];"
            "print(extra)")
    assert subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
