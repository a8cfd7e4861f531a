# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read `nvidia-smi -q -x` (nvsmi_device_v11/v12 DTDs, Linux and Windows drivers)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import (
    GpuOutputError,
    integer,
    require_usable,
    new_gpu,
    number,
    switch,
    text_value,
)

# nvidia-smi's XML nests about 5 deep; anything far deeper is garbage, refused while it is read
# (200,000 nested <gpu> once passed as one GPU with every field unknown).
_MAX_DEPTH = 32
_CHUNK = 1 << 16

# Several element paths per value: the tags moved between driver generations
# (power_readings -> gpu_power_readings at 530+, power_limit/enforced_power_limit ->
# current_power_limit, pci link info nested under pci_gpu_link_info).
_PATHS = {
    "power_limit_enforced_w": ("gpu_power_readings/current_power_limit",
                               "power_readings/enforced_power_limit",
                               "power_readings/power_limit"),
    "power_limit_default_w": ("gpu_power_readings/default_power_limit",
                              "power_readings/default_power_limit"),
    "power_draw_w": ("gpu_power_readings/power_draw", "gpu_power_readings/average_power_draw",
                     "gpu_power_readings/instant_power_draw", "power_readings/power_draw"),
}


def _find(gpu: ET.Element, *paths: str) -> str | None:
    for path in paths:
        found = gpu.find(path)
        if found is not None and found.text is not None:
            value = text_value(found.text)
            if value is not None:
                return value
    return None


def _processes(gpu: ET.Element) -> list:
    found = []
    for proc in gpu.findall("processes/process_info"):
        found.append({
            "pid": integer(_find(proc, "pid")),
            "name": _find(proc, "process_name"),
            "used_memory_mib": integer(_find(proc, "used_memory")),
        })
    return found


def _gpu(index: int, gpu: ET.Element) -> dict:
    link = "pci/pci_gpu_link_info"
    # Direct children only: each <mig_device> carries its own fb_memory_usage.
    return new_gpu(
        index=index,
        name=_find(gpu, "product_name"),
        uuid=_find(gpu, "uuid"),
        pci_bus_id=_find(gpu, "pci/pci_bus_id") or text_value(gpu.get("id")),
        vbios_version=_find(gpu, "vbios_version"),
        pcie_gen_current=integer(_find(gpu, f"{link}/pcie_gen/current_link_gen")),
        pcie_gen_max=integer(_find(gpu, f"{link}/pcie_gen/max_link_gen")),
        pcie_width_current=integer(_find(gpu, f"{link}/link_widths/current_link_width")),
        pcie_width_max=integer(_find(gpu, f"{link}/link_widths/max_link_width")),
        memory_total_mib=integer(_find(gpu, "fb_memory_usage/total")),
        memory_used_mib=integer(_find(gpu, "fb_memory_usage/used")),
        persistence_mode=switch(_find(gpu, "persistence_mode")),
        mig_mode=switch(_find(gpu, "mig_mode/current_mig")),
        ecc_mode=switch(_find(gpu, "ecc_mode/current_ecc")),
        compute_mode=_find(gpu, "compute_mode"),
        power_limit_enforced_w=number(_find(gpu, *_PATHS["power_limit_enforced_w"])),
        power_limit_default_w=number(_find(gpu, *_PATHS["power_limit_default_w"])),
        power_draw_w=number(_find(gpu, *_PATHS["power_draw_w"])),
        clock_sm_mhz=integer(_find(gpu, "clocks/sm_clock")),
        clock_mem_mhz=integer(_find(gpu, "clocks/mem_clock")),
        clock_app_sm_mhz=integer(_find(gpu, "applications_clocks/graphics_clock")),
        clock_app_mem_mhz=integer(_find(gpu, "applications_clocks/mem_clock")),
        clock_max_sm_mhz=integer(_find(gpu, "max_clocks/sm_clock")),
        clock_max_mem_mhz=integer(_find(gpu, "max_clocks/mem_clock")),
        temperature_c=integer(_find(gpu, "temperature/gpu_temp")),
        utilization_gpu_pct=integer(_find(gpu, "utilization/gpu_util")),
        fabric_state=_find(gpu, "fabric/state"),
        processes=_processes(gpu),
    )


def _parse(text: str) -> ET.Element:
    """The root element, read in chunks so that absurd nesting stops the read early."""
    parser = ET.XMLPullParser(events=("start", "end"))
    root = None
    depth = 0
    for start in range(0, len(text), _CHUNK):
        parser.feed(text[start:start + _CHUNK])
        for event, element in parser.read_events():
            root = element if root is None else root
            depth += 1 if event == "start" else -1
            if depth > _MAX_DEPTH:
                raise GpuOutputError(f"nvidia-smi XML nests deeper than {_MAX_DEPTH} elements (<{element.tag}>): not nvidia-smi output", text)
    parser.close()
    if root is None:
        raise ET.ParseError("no element found")
    return root


def parse_smi_xml(text: str) -> dict:
    """Driver/CUDA version and one GPU record per <gpu> element."""
    try:
        # The DOCTYPE names a DTD file that is not there; ElementTree does not fetch it.
        root = _parse(text.strip())
    except ET.ParseError as error:
        raise GpuOutputError(f"nvidia-smi XML is not well-formed ({error})", text) from None
    if root.tag != "nvidia_smi_log":
        raise GpuOutputError("nvidia-smi XML has no <nvidia_smi_log> root", text)
    return {
        "driver_version": _find(root, "driver_version"),
        "cuda_driver_version": _find(root, "cuda_version"),
        "attached_gpus": integer(_find(root, "attached_gpus")),
        "gpus": require_usable([_gpu(index, gpu) for index, gpu in enumerate(root.findall("gpu"))],
                               "nvidia-smi XML", text),
    }
