"""Every real nvidia-smi output in ../shared/corpus/nvidia_smi reads as EXPECTED.md says.

Values are the ones EXPECTED.md lists (read by eye from the files), so a parser that drifts
from what the driver printed fails here.
"""
from __future__ import annotations

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_csv import (
    driver_version_from_rows,
    gpus_from_rows,
    parse_query_csv,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_table import parse_smi_table
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_text import parse_smi_text
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_xml import parse_smi_xml

H100 = "NVIDIA H100 80GB HBM3"

# file: (name, gpu count, driver, cuda, {GPU0 key: value})
TABLES = {
    "gh_rtx-3090_535.161.07_default.txt": (
        "NVIDIA GeForce RTX 3090", 1, "535.161.07", "12.2",
        dict(temperature_c=26, power_draw_w=30, power_limit_enforced_w=320, memory_used_mib=404,
             memory_total_mib=24576, utilization_gpu_pct=0, compute_mode="Default",
             persistence_mode=True, ecc_mode=None, mig_mode=None, pci_bus_id="00000000:C1:00.0")),
    "gh_a100-sxm4-40gb_550.144.03_default.txt": (
        "NVIDIA A100-SXM4-40GB", 1, "550.144.03", "12.4",
        dict(temperature_c=32, power_draw_w=52, power_limit_enforced_w=400, memory_used_mib=1,
             memory_total_mib=40960, utilization_gpu_pct=0, compute_mode="Default")),
    "gh_2xh100-80gb-hbm3_570.133.20_default.txt": (
        H100, 2, "570.133.20", "12.8",
        dict(temperature_c=33, power_draw_w=73, power_limit_enforced_w=700, memory_used_mib=0,
             memory_total_mib=81559, utilization_gpu_pct=0, ecc_mode=True, mig_mode=False,
             persistence_mode=False)),
    "nvgpuexp_h100-80gb-hbm3_590.48.01_idle_default.txt": (
        H100, 1, "590.48.01", "13.1",
        dict(temperature_c=41, power_draw_w=69, power_limit_enforced_w=700, memory_used_mib=0,
             memory_total_mib=81559, utilization_gpu_pct=0, persistence_mode=True)),
    "nvgpuexp_h100-80gb-hbm3_590.48.01_load_default.txt": (
        H100, 1, "590.48.01", "13.1",
        dict(temperature_c=59, power_draw_w=629, power_limit_enforced_w=700, memory_used_mib=19818,
             memory_total_mib=81559, utilization_gpu_pct=100, compute_mode="Default")),
}

XMLS = {
    "netdata_a100-sxm4-40gb-mig_510.47.03_q-x.xml": (
        "NVIDIA A100-SXM4-40GB", "510.47.03", "11.6",
        dict(memory_used_mib=38, memory_total_mib=40960, utilization_gpu_pct=None, temperature_c=36,
             power_draw_w=66.92, mig_mode=True, ecc_mode=True), 0),
    "netdata_tesla-p100-pcie-16gb_510.47.03_q-x.xml": (
        "Tesla P100-PCIE-16GB", "510.47.03", "11.6",
        dict(memory_used_mib=0, memory_total_mib=16384, utilization_gpu_pct=0, temperature_c=38,
             power_draw_w=26.16), 0),
    "telegraf_tesla-t4_515.105.01_q-x.xml": (
        "Tesla T4", "515.105.01", "11.7",
        dict(memory_used_mib=1032, memory_total_mib=15360, utilization_gpu_pct=0, temperature_c=40,
             power_draw_w=26.78), 2),
    "netdata_rtx-2080-windows_516.59_q-x.xml": (
        "NVIDIA GeForce RTX 2080", "516.59", "11.7",
        dict(memory_used_mib=862, memory_total_mib=8192, utilization_gpu_pct=2, temperature_c=29,
             power_draw_w=14.50), 26),
    "telegraf_rtx-3090_525.147.05_q-x.xml": (
        "NVIDIA GeForce RTX 3090", "525.147.05", "12.0",
        dict(memory_used_mib=1, memory_total_mib=24576, utilization_gpu_pct=0, temperature_c=37,
             power_draw_w=27.23, power_limit_enforced_w=200, power_limit_default_w=350,
             vbios_version="94.02.71.40.72", pcie_gen_max=4, pcie_width_max=16), 0),
    "netdata_rtx-4090_535.86.05_q-x.xml": (
        "NVIDIA GeForce RTX 4090", "535.86.05", "12.2",
        dict(memory_used_mib=2, memory_total_mib=24564, utilization_gpu_pct=0, temperature_c=40,
             power_draw_w=26.84, power_limit_enforced_w=450, clock_max_sm_mhz=3120), 0),
}

TEXTS = {
    "mlperf41_neuralmagic_8xl40s_555.42.06_q.txt": (
        "NVIDIA L40S", 10, 8, "555.42.06", "12.5",
        dict(memory_used_mib=1, memory_total_mib=46068, utilization_gpu_pct=0, temperature_c=36,
             power_draw_w=34.75, pci_bus_id="00000002:00:01.0", power_limit_enforced_w=350)),
    "nvgpuexp_h100-80gb-hbm3_590.48.01_idle_q.txt": (
        H100, 1, 1, "590.48.01", "13.1",
        dict(memory_used_mib=0, memory_total_mib=81559, utilization_gpu_pct=0, temperature_c=41,
             power_draw_w=69.85, vbios_version="96.00.A5.00.01", pcie_gen_current=5,
             pcie_width_current=16, ecc_mode=True, mig_mode=False, power_limit_enforced_w=700,
             clock_max_sm_mhz=1980, fabric_state="Completed")),
}

CSVS = {
    "netdata_tesla-p100-pcie-16gb_query-gpu.csv": (
        None, dict(name="Tesla P100-PCIE-16GB", memory_used_mib=0, utilization_gpu_pct=0,
                   temperature_c=37, power_draw_w=28.16)),
    "nvgpuexp_h100-80gb-hbm3_590.48.01_load_query-gpu.csv": (
        "590.48.01", dict(name=H100, memory_total_mib=81559, memory_used_mib=19818,
                          utilization_gpu_pct=100, temperature_c=59, power_draw_w=631.95,
                          clock_app_sm_mhz=None, mig_mode=False, ecc_mode=True)),
    "nvgpuexp_l40s_595.80_load_query-gpu.csv": (
        "595.80", dict(name="NVIDIA L40S", memory_total_mib=46068, memory_used_mib=1235,
                       utilization_gpu_pct=9, temperature_c=54, power_draw_w=110.23, mig_mode=None)),
}


def _assert_values(gpu: dict, expected: dict) -> None:
    assert set(expected) <= set(gpu), "expectation names a key the GPU record lacks"
    for key, value in expected.items():
        assert gpu[key] == value, key


@pytest.mark.parametrize("filename", sorted(TABLES))
def test_default_table_reads_header_and_gpu_rows(corpus_dir, filename):
    name, count, driver, cuda, expected = TABLES[filename]
    parsed = parse_smi_table((corpus_dir / "nvidia_smi" / filename).read_text())
    assert (parsed["driver_version"], parsed["cuda_driver_version"]) == (driver, cuda)
    assert [gpu["name"] for gpu in parsed["gpus"]] == [name] * count
    _assert_values(parsed["gpus"][0], expected)


def test_default_table_reads_process_rows(corpus_dir):
    text = (corpus_dir / "nvidia_smi" / "nvgpuexp_h100-80gb-hbm3_590.48.01_load_default.txt").read_text()
    processes = parse_smi_table(text)["gpus"][0]["processes"]
    assert [(p["name"], p["used_memory_mib"]) for p in processes] == [
        ("/root/tools/memhog", 2566), ("/root/tools/memhog", 1542), ("./gpu_burn", 15690)]


def test_empty_process_table_without_placeholder_line_gives_no_processes(corpus_dir):
    text = (corpus_dir / "nvidia_smi" / "gh_rtx-3090_535.161.07_default.txt").read_text()
    assert parse_smi_table(text)["gpus"][0]["processes"] == []


def test_second_gpu_of_a_two_gpu_table_has_its_own_values(corpus_dir):
    text = (corpus_dir / "nvidia_smi" / "gh_2xh100-80gb-hbm3_570.133.20_default.txt").read_text()
    second = parse_smi_table(text)["gpus"][1]
    assert (second["index"], second["temperature_c"], second["power_draw_w"]) == (1, 26, 70)


@pytest.mark.parametrize("filename", sorted(XMLS))
def test_xml_reads_gpu_level_values(corpus_dir, filename):
    name, driver, cuda, expected, processes = XMLS[filename]
    parsed = parse_smi_xml((corpus_dir / "nvidia_smi" / filename).read_text())
    assert (parsed["driver_version"], parsed["cuda_driver_version"]) == (driver, cuda)
    assert parsed["attached_gpus"] == len(parsed["gpus"]) == 1
    gpu = parsed["gpus"][0]
    assert gpu["name"] == name
    _assert_values(gpu, expected)
    assert len(gpu["processes"]) == processes


def test_xml_process_entries_carry_pid_name_and_memory(corpus_dir):
    text = (corpus_dir / "nvidia_smi" / "telegraf_tesla-t4_515.105.01_q-x.xml").read_text()
    processes = parse_smi_xml(text)["gpus"][0]["processes"]
    assert processes[1] == {"pid": 5762, "name": "python", "used_memory_mib": 1005}


@pytest.mark.parametrize("filename", sorted(TEXTS))
def test_q_text_reads_every_gpu_section(corpus_dir, filename):
    name, attached, sections, driver, cuda, expected = TEXTS[filename]
    parsed = parse_smi_text((corpus_dir / "nvidia_smi" / filename).read_text())
    assert (parsed["driver_version"], parsed["cuda_driver_version"]) == (driver, cuda)
    assert parsed["attached_gpus"] == attached
    assert [gpu["name"] for gpu in parsed["gpus"]] == [name] * sections
    _assert_values(parsed["gpus"][0], expected)


@pytest.mark.parametrize("filename", sorted(CSVS))
def test_query_csv_reads_units_in_header_and_cells(corpus_dir, filename):
    driver, expected = CSVS[filename]
    rows = parse_query_csv((corpus_dir / "nvidia_smi" / filename).read_text())
    assert len(rows) == 1
    assert driver_version_from_rows(rows) == driver
    _assert_values(gpus_from_rows(rows)[0], expected)


def test_every_corpus_file_is_covered(corpus_dir):
    covered = set(TABLES) | set(XMLS) | set(TEXTS) | set(CSVS)
    present = {p.name for p in (corpus_dir / "nvidia_smi").iterdir() if p.name != "EXPECTED.md"}
    assert present <= covered, f"corpus files without expectations: {sorted(present - covered)}"
