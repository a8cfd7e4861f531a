"""Issue 13's reproducers for the nvidia-smi readers: each input gives GpuOutputError with one
line saying what was wrong, or a clean record, in well under a second; never another exception."""
from __future__ import annotations

import time

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import GpuOutputError, integer, number
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_csv import gpus_from_rows, parse_query_csv
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_table import parse_smi_table
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_text import parse_smi_text
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_xml import parse_smi_xml

HUGE = "9" * 400
TABLE_HEAD = "| NVIDIA-SMI 570.133.20    Driver Version: 570.133.20     CUDA Version: 12.8     |\n"
TABLE_GPU = ("|   0  NVIDIA H100 80GB HBM3          On  | 00000000:01:00.0 Off |                    0 |\n"
             "| N/A   33C    P0    73W / 700W |      0MiB / {total}MiB |      0%      Default |\n")


def _one_line_error(call) -> str:
    started = time.process_time()
    with pytest.raises(GpuOutputError) as error:
        call()
    assert time.process_time() - started < 1
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("raw", [HUGE, HUGE + ".5", "1" * 5000, "inf", "nan"])
def test_numbers_no_gpu_can_report_read_as_unknown(raw):
    assert number(raw) is None and integer(raw) is None


def test_a_400_digit_memory_size_in_xml_is_unknown_not_an_overflow():
    parsed = parse_smi_xml(f"<nvidia_smi_log><gpu><product_name>A</product_name>"
                           f"<fb_memory_usage><total>{HUGE} MiB</total></fb_memory_usage></gpu></nvidia_smi_log>")
    assert parsed["gpus"][0]["memory_total_mib"] is None and parsed["gpus"][0]["name"] == "A"


def test_200000_nested_gpus_are_refused_not_read_as_an_empty_gpu():
    deep = "<nvidia_smi_log>" + "<gpu>" * 200000 + "</gpu>" * 200000 + "</nvidia_smi_log>"
    assert "nests deeper than 32 elements (<gpu>)" in _one_line_error(lambda: parse_smi_xml(deep))


def test_a_gpu_element_with_no_usable_field_is_refused():
    assert "no name, UUID, bus id or memory size" in _one_line_error(
        lambda: parse_smi_xml("<nvidia_smi_log><gpu><gpu><gpu/></gpu></gpu></nvidia_smi_log>"))


def test_a_table_number_over_python_digit_limit_is_unknown():
    parsed = parse_smi_table(TABLE_HEAD + TABLE_GPU.format(total="9" * 4400).replace("9" * 4400, "9" * 4000))
    assert parsed["gpus"][0]["memory_total_mib"] is None and parsed["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"


@pytest.mark.parametrize("text, cause", [
    ("index\n0\r1\n", "not readable CSV"),
    ("index\n" + "1" * 140000 + "\n", "over 65536"),
])
def test_csv_that_the_csv_module_refuses_is_one_line(text, cause):
    assert cause in _one_line_error(lambda: parse_query_csv(text))


def test_csv_rows_with_no_usable_field_are_refused():
    rows = parse_query_csv("index, temperature.gpu\n0, 30\n")
    assert "no name, UUID" in _one_line_error(lambda: gpus_from_rows(rows))


@pytest.mark.parametrize("parse, text", [
    (parse_smi_table, TABLE_HEAD + "|   0  " + " " * 3000 + "x  On | a |\n" * 50),
    (parse_smi_text, "==============NVSMI LOG==============\n" + ("x" + " " * 4000 + "y\n") * 50),
    (parse_query_csv, "a" + " " * 20000 + "b [MiB]\n1\n"),
])
def test_spaces_inside_cells_cost_linear_time(parse, text):
    started = time.process_time()
    try:
        parse(text)
    except GpuOutputError:
        pass
    assert time.process_time() - started < 1


@pytest.mark.parametrize("parse, text", [
    (parse_smi_table, TABLE_HEAD + "| " + " " * 20000 + " |\n"),
    (parse_smi_text, "==NVSMI LOG==\n" + "x" * 20000 + "\n"),
])
def test_a_line_too_long_for_nvidia_smi_is_named(parse, text):
    assert "line 2 is" in _one_line_error(lambda: parse(text))


def test_the_q_text_separator_still_splits_label_and_value():
    parsed = parse_smi_text("==============NVSMI LOG==============\n"
                            "Driver Version                            : 570.133.20\n"
                            "Attached GPUs                             : 1\n"
                            "GPU 00000000:01:00.0\n"
                            "    Product Name                          : NVIDIA H100\n"
                            "    FB Memory Usage\n"
                            "        Total                             : 81559 MiB\n")
    assert parsed["driver_version"] == "570.133.20"
    assert parsed["gpus"][0]["memory_total_mib"] == 81559 and parsed["gpus"][0]["pci_bus_id"] == "00000000:01:00.0"


@pytest.mark.parametrize("state, draw, cap", [("N/A / N/A", None, None), ("73W / 700W", 73, 700), ("73W /700W", 73, 700)])
def test_table_power_cells_split_on_the_slash_between_draw_and_cap(state, draw, cap):
    text = TABLE_HEAD + TABLE_GPU.format(total=81559).replace("73W / 700W", state)
    gpu = parse_smi_table(text)["gpus"][0]
    assert (gpu["power_draw_w"], gpu["power_limit_enforced_w"], gpu["temperature_c"]) == (draw, cap, 33)
