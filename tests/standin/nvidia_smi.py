#!/usr/bin/python3
"""Stand-in ``nvidia-smi`` for GPU-less test hosts: prints what a given driver would print.

Installed as ``/usr/bin/nvidia-smi`` by the stand-in driver packages (equivs) inside the
namespaced Debian bookworm test hosts. Python 3 standard library only. The GPU is the only
thing faked in fleetbench's tests: everything above this boundary (gpu_facts, the drift gate,
the driver role) runs for real against this output.

Two files describe the fake machine:

1. The state file (JSON): what the *installed* driver package is and which GPUs exist.
   Path: ``$FLEETBENCH_STANDIN_STATE``, else ``/etc/fleetbench-standin/gpu.json``.

   {
     "driver_version": "570.133.20",   # required: version of the installed user-space driver
     "cuda_version": "12.8",           # required: CUDA driver API version that driver reports
     "loaded_module_file": "/etc/fleetbench-standin/loaded-module",   # optional, see 2.
     "unknown_query_fields": ["mig.mode.current"],   # optional: fields this (older) driver
                                                     # rejects in --query-gpu
     "gpus": [                          # optional; [] or absent = driver loaded, no GPU found
       {
         "name": "NVIDIA H100 80GB HBM3",              # required
         "uuid": "GPU-6f1b...",                        # default derived from index
         "bus_id": "00000000:AB:00.0",                 # default 00000000:<index+1>:00.0
         "vbios": "96.00.99.00.01",
         "memory_total_mib": 81559, "memory_used_mib": 0,
         "power_limit_w": 700, "default_power_limit_w": 700, "power_draw_w": 70.5,
         "temperature_c": 33,
         "utilization_pct": 0,
         "clocks": {"sm": 1980, "mem": 2619, "graphics": 1980,           # current, MHz
                    "app_sm": 1980, "app_mem": 2619,                     # application clocks
                    "max_sm": 1980, "max_mem": 2619},                    # max clocks
         "pcie": {"gen": 5, "gen_max": 5, "width": 16, "width_max": 16},
         "ecc": true,                    # true/false -> Enabled/Disabled, null -> N/A
         "mig": false,                   # true/false -> Enabled/Disabled, null -> N/A
         "persistence": true,            # true/false -> Enabled/Disabled
         "compute_mode": "Default",
         "processes": [{"pid": 4242, "name": "python3", "used_memory_mib": 1024}],
         "memory_utilization_pct": 0,
         "clock_event_reasons": ["sw_power_cap"],   # active clock event (throttle) reasons
         "ecc_errors": {"corrected": 0, "uncorrected": 0}   # volatile totals
       }
     ]
   }

   Every per-GPU key except "name" has a default (see GPU_DEFAULTS below). Numbers may be
   given as null to print "N/A" / "[N/A]" as a real driver does for unsupported values.

2. The loaded-module file: stands in for ``/proc/driver/nvidia/version`` (which the test
   hosts cannot have), i.e. the kernel module that is *running*. Same text as the real file:

     NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.133.20  Tue Mar  4 ... UTC 2025
     GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)

   ("NVIDIA UNIX Open Kernel Module for x86_64" marks the open flavour.)
   Path: state key "loaded_module_file", else ``$FLEETBENCH_STANDIN_LOADED_MODULE``, else
   ``/etc/fleetbench-standin/loaded-module``. gpu_facts reads the same file through its
   ``proc_version_path`` option, so both agree on what is loaded.
   - file absent          -> no module loaded: exit 9, "NVIDIA-SMI has failed because it
                             couldn't communicate with the NVIDIA driver. ..."
   - version != driver_version of the state file -> "Failed to initialize NVML: Driver/library
                             version mismatch" (exit 18): a reboot is pending after an upgrade.
   A packager simulates "reboot" by copying the installed version into this file, and a
   first install with modprobe by writing it when absent.

Command lines understood (anything else: "Invalid combination of input arguments", exit 2):

  nvidia-smi                                   default table (550+ layout)
  nvidia-smi -q -x | --query --xml-format      XML shaped like nvsmi_device_v12.dtd
  nvidia-smi --query-gpu=F1,F2,... --format=csv[,noheader][,nounits] [-lms=N | -lms N]
      fields: see QUERY_FIELDS below; -lms repeats the query every N ms, reading the state
      file again each time (so a test can change a GPU while the loop runs), until killed; an unknown field prints the real driver's
      'Field "X" is not a valid field to query.' and exits 2. cuda_version is rejected,
      as some real drivers do.
  nvidia-smi --query-compute-apps=pid,process_name,used_memory,gpu_uuid --format=csv[...]
  nvidia-smi -L | --list-gpus
  nvidia-smi --version
"""
from __future__ import annotations

import datetime
import json
import os
import re
import sys
import time
from xml.sax.saxutils import escape

DEFAULT_STATE = "/etc/fleetbench-standin/gpu.json"
DEFAULT_LOADED_MODULE = "/etc/fleetbench-standin/loaded-module"

EXIT_INVALID_ARGUMENT = 2
EXIT_DRIVER_NOT_LOADED = 9
EXIT_VERSION_MISMATCH = 18

NO_DRIVER_TEXT = (
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
    "Make sure that the latest NVIDIA driver is installed and running.\n"
)

GPU_DEFAULTS = {
    "memory_utilization_pct": 0,
    "clock_event_reasons": [],
    "ecc_errors": {"corrected": 0, "uncorrected": 0},
    "vbios": "96.00.99.00.01",
    "memory_total_mib": 81559,
    "memory_used_mib": 0,
    "power_limit_w": 700,
    "default_power_limit_w": 700,
    "power_draw_w": 70.0,
    "temperature_c": 33,
    "utilization_pct": 0,
    "clocks": {},
    "pcie": {},
    "ecc": True,
    "mig": False,
    "persistence": True,
    "compute_mode": "Default",
    "processes": [],
}
CLOCK_DEFAULTS = {"sm": 1980, "mem": 2619, "graphics": 1980, "app_sm": None, "app_mem": None,
                  "max_sm": 1980, "max_mem": 2619}
PCIE_DEFAULTS = {"gen": 5, "gen_max": 5, "width": 16, "width_max": 16}


class StandinError(Exception):
    def __init__(self, text: str, code: int):
        super().__init__(text)
        self.text = text
        self.code = code


def load_state() -> dict:
    path = os.environ.get("FLEETBENCH_STANDIN_STATE", DEFAULT_STATE)
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except FileNotFoundError:
        raise StandinError(NO_DRIVER_TEXT, EXIT_DRIVER_NOT_LOADED) from None
    gpus = []
    for index, raw in enumerate(state.get("gpus") or []):
        gpu = {**GPU_DEFAULTS, **raw}
        gpu["clocks"] = {**CLOCK_DEFAULTS, **(raw.get("clocks") or {})}
        gpu["pcie"] = {**PCIE_DEFAULTS, **(raw.get("pcie") or {})}
        gpu.setdefault("uuid", f"GPU-00000000-0000-4000-8000-{index:012x}")
        gpu.setdefault("bus_id", f"00000000:{index + 1:02X}:00.0")
        gpu["index"] = index
        gpus.append(gpu)
    state["gpus"] = gpus
    return state


def loaded_module_version(state: dict) -> str | None:
    path = state.get("loaded_module_file") or os.environ.get(
        "FLEETBENCH_STANDIN_LOADED_MODULE", DEFAULT_LOADED_MODULE)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    found = re.search(r"Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?)", text)
    return found.group(1) if found else None


def check_driver(state: dict) -> None:
    loaded = loaded_module_version(state)
    if loaded is None:
        raise StandinError(NO_DRIVER_TEXT, EXIT_DRIVER_NOT_LOADED)
    if loaded != state["driver_version"]:
        raise StandinError(
            "Failed to initialize NVML: Driver/library version mismatch\n"
            f"NVML library version: {state['driver_version']}\n",
            EXIT_VERSION_MISMATCH,
        )


# Formatting helpers: a None value is what the driver prints for "not supported".
def onoff(value, on="Enabled", off="Disabled", na="N/A") -> str:
    if value is None:
        return na
    return on if value else off


def unit(value, suffix: str, fmt: str = "{}") -> str:
    return "N/A" if value is None else f"{fmt.format(value)} {suffix}"


def now() -> datetime.datetime:
    return datetime.datetime.now()


# ---------------------------------------------------------------- -q -x (v12 DTD shape)
def xml_text(value) -> str:
    return escape(str(value))


def render_xml(state: dict) -> str:
    out = [
        '<?xml version="1.0" ?>',
        '<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">',
        "<nvidia_smi_log>",
        f"\t<timestamp>{now():%a %b %d %H:%M:%S %Y}</timestamp>",
        f"\t<driver_version>{xml_text(state['driver_version'])}</driver_version>",
        f"\t<cuda_version>{xml_text(state['cuda_version'])}</cuda_version>",
        f"\t<attached_gpus>{len(state['gpus'])}</attached_gpus>",
    ]
    for gpu in state["gpus"]:
        out.extend(xml_gpu(gpu))
    out.append("</nvidia_smi_log>")
    return "\n".join(out) + "\n"


def xml_block(tag: str, children: dict, depth: int) -> list[str]:
    pad = "\t" * depth
    lines = [f"{pad}<{tag}>"]
    for key, value in children.items():
        if isinstance(value, dict):
            lines.extend(xml_block(key, value, depth + 1))
        else:
            lines.append(f"{pad}\t<{key}>{xml_text(value)}</{key}>")
    lines.append(f"{pad}</{tag}>")
    return lines


def xml_gpu(gpu: dict) -> list[str]:
    clocks, pcie = gpu["clocks"], gpu["pcie"]
    domain, bus, device = gpu["bus_id"].split(":")[0], gpu["bus_id"].split(":")[1], gpu["bus_id"].split(":")[2][:2]
    total, used = gpu["memory_total_mib"], gpu["memory_used_mib"]
    body = {
        "product_name": gpu["name"],
        "product_brand": "NVIDIA",
        "persistence_mode": onoff(gpu["persistence"]),
        "mig_mode": {"current_mig": onoff(gpu["mig"]), "pending_mig": onoff(gpu["mig"])},
        "serial": "N/A",
        "uuid": gpu["uuid"],
        "minor_number": gpu["index"],
        "vbios_version": gpu["vbios"],
        "pci": {
            "pci_bus": bus, "pci_device": device, "pci_domain": domain[-4:],
            "pci_bus_id": gpu["bus_id"],
            "pci_gpu_link_info": {
                "pcie_gen": {"max_link_gen": na(pcie["gen_max"]),
                             "current_link_gen": na(pcie["gen"])},
                "link_widths": {"max_link_width": unit_x(pcie["width_max"]),
                                "current_link_width": unit_x(pcie["width"])},
            },
        },
        "performance_state": "P0",
        "fb_memory_usage": {"total": unit(total, "MiB"), "reserved": "0 MiB",
                            "used": unit(used, "MiB"),
                            "free": unit(None if total is None or used is None else total - used, "MiB")},
        "compute_mode": gpu["compute_mode"],
        "utilization": {"gpu_util": unit(gpu["utilization_pct"], "%"), "memory_util": "0 %"},
        "ecc_mode": {"current_ecc": onoff(gpu["ecc"]), "pending_ecc": onoff(gpu["ecc"])},
        "temperature": {"gpu_temp": unit(gpu["temperature_c"], "C")},
        "gpu_power_readings": {
            "power_state": "P0",
            "power_draw": unit(gpu["power_draw_w"], "W", "{:.2f}"),
            "current_power_limit": unit(gpu["power_limit_w"], "W", "{:.2f}"),
            "requested_power_limit": unit(gpu["power_limit_w"], "W", "{:.2f}"),
            "default_power_limit": unit(gpu["default_power_limit_w"], "W", "{:.2f}"),
        },
        "clocks": {"graphics_clock": unit(clocks["graphics"], "MHz"),
                   "sm_clock": unit(clocks["sm"], "MHz"),
                   "mem_clock": unit(clocks["mem"], "MHz")},
        "applications_clocks": {"graphics_clock": unit(clocks["app_sm"], "MHz"),
                                "mem_clock": unit(clocks["app_mem"], "MHz")},
        "max_clocks": {"graphics_clock": unit(clocks["max_sm"], "MHz"),
                       "sm_clock": unit(clocks["max_sm"], "MHz"),
                       "mem_clock": unit(clocks["max_mem"], "MHz")},
    }
    lines = [f'\t<gpu id="{xml_text(gpu["bus_id"])}">']
    for key, value in body.items():
        if isinstance(value, dict):
            lines.extend(xml_block(key, value, 2))
        else:
            lines.append(f"\t\t<{key}>{xml_text(value)}</{key}>")
    lines.append("\t\t<processes>")
    for proc in gpu["processes"]:
        lines.extend(xml_block("process_info", {
            "gpu_instance_id": "N/A", "compute_instance_id": "N/A", "pid": proc["pid"],
            "type": proc.get("type", "C"), "process_name": proc["name"],
            "used_memory": unit(proc["used_memory_mib"], "MiB")}, 3))
    lines.append("\t\t</processes>")
    lines.append("\t</gpu>")
    return lines


def na(value) -> str:
    return "N/A" if value is None else str(value)


def unit_x(value) -> str:
    return "N/A" if value is None else f"{value}x"


# ---------------------------------------------------------------- --query-gpu CSV
# field -> (header unit or "", getter). Aliases map to the same getter, as in the real tool.
def _mib(key):
    return ("MiB", lambda g, s: g[key])


QUERY_FIELDS = {
    "timestamp": ("", lambda g, s: f"{now():%Y/%m/%d %H:%M:%S.%f}"[:-3]),
    "driver_version": ("", lambda g, s: s["driver_version"]),
    "count": ("", lambda g, s: len(s["gpus"])),
    "name": ("", lambda g, s: g["name"]),
    "gpu_name": ("", lambda g, s: g["name"]),
    "serial": ("", lambda g, s: None),
    "uuid": ("", lambda g, s: g["uuid"]),
    "gpu_uuid": ("", lambda g, s: g["uuid"]),
    "index": ("", lambda g, s: g["index"]),
    "pci.bus_id": ("", lambda g, s: g["bus_id"]),
    "gpu_bus_id": ("", lambda g, s: g["bus_id"]),
    "vbios_version": ("", lambda g, s: g["vbios"]),
    "persistence_mode": ("", lambda g, s: onoff(g["persistence"], na="[N/A]")),
    "pstate": ("", lambda g, s: "P0"),
    "pcie.link.gen.current": ("", lambda g, s: g["pcie"]["gen"]),
    "pcie.link.gen.max": ("", lambda g, s: g["pcie"]["gen_max"]),
    "pcie.link.width.current": ("", lambda g, s: g["pcie"]["width"]),
    "pcie.link.width.max": ("", lambda g, s: g["pcie"]["width_max"]),
    "memory.total": _mib("memory_total_mib"),
    "memory.used": _mib("memory_used_mib"),
    "memory.free": ("MiB", lambda g, s: g["memory_total_mib"] - g["memory_used_mib"]),
    "compute_mode": ("", lambda g, s: g["compute_mode"]),
    "utilization.gpu": ("%", lambda g, s: g["utilization_pct"]),
    "ecc.mode.current": ("", lambda g, s: onoff(g["ecc"], na="[N/A]")),
    "ecc.mode.pending": ("", lambda g, s: onoff(g["ecc"], na="[N/A]")),
    "mig.mode.current": ("", lambda g, s: onoff(g["mig"], na="[N/A]")),
    "mig.mode.pending": ("", lambda g, s: onoff(g["mig"], na="[N/A]")),
    "temperature.gpu": ("", lambda g, s: g["temperature_c"]),
    "power.draw": ("W", lambda g, s: g["power_draw_w"]),
    "power.limit": ("W", lambda g, s: g["power_limit_w"]),
    "enforced.power.limit": ("W", lambda g, s: g["power_limit_w"]),
    "power.default_limit": ("W", lambda g, s: g["default_power_limit_w"]),
    "clocks.current.graphics": ("MHz", lambda g, s: g["clocks"]["graphics"]),
    "clocks.gr": ("MHz", lambda g, s: g["clocks"]["graphics"]),
    "clocks.current.sm": ("MHz", lambda g, s: g["clocks"]["sm"]),
    "clocks.sm": ("MHz", lambda g, s: g["clocks"]["sm"]),
    "clocks.current.memory": ("MHz", lambda g, s: g["clocks"]["mem"]),
    "clocks.mem": ("MHz", lambda g, s: g["clocks"]["mem"]),
    "clocks.applications.graphics": ("MHz", lambda g, s: g["clocks"]["app_sm"]),
    "clocks.applications.memory": ("MHz", lambda g, s: g["clocks"]["app_mem"]),
    "clocks.max.graphics": ("MHz", lambda g, s: g["clocks"]["max_sm"]),
    "clocks.max.sm": ("MHz", lambda g, s: g["clocks"]["max_sm"]),
    "clocks.max.memory": ("MHz", lambda g, s: g["clocks"]["max_mem"]),
    "utilization.memory": ("%", lambda g, s: g["memory_utilization_pct"]),
    "clocks_event_reasons.active": ("", lambda g, s: reason_mask(g["clock_event_reasons"])),
    "clocks_throttle_reasons.active": ("", lambda g, s: reason_mask(g["clock_event_reasons"])),
    "ecc.errors.corrected.volatile.total": ("", lambda g, s: g["ecc_errors"]["corrected"]),
    "ecc.errors.uncorrected.volatile.total": ("", lambda g, s: g["ecc_errors"]["uncorrected"]),
}

# NVML's clock event reason bits, as the real tool prints them: 0x0000000000000004.
REASON_BITS = {"gpu_idle": 0x1, "applications_clocks_setting": 0x2, "sw_power_cap": 0x4, "hw_slowdown": 0x8,
               "sync_boost": 0x10, "sw_thermal_slowdown": 0x20, "hw_thermal_slowdown": 0x40,
               "hw_power_brake_slowdown": 0x80, "display_clock_setting": 0x100}


def reason_mask(names: list[str]) -> str:
    mask = 0
    for name in names:
        mask |= REASON_BITS[name]
    return f"0x{mask:016X}"

APP_FIELDS = {
    "pid": ("", lambda p, g: p["pid"]),
    "process_name": ("", lambda p, g: p["name"]),
    "name": ("", lambda p, g: p["name"]),
    "used_memory": ("MiB", lambda p, g: p["used_memory_mib"]),
    "used_gpu_memory": ("MiB", lambda p, g: p["used_memory_mib"]),
    "gpu_uuid": ("", lambda p, g: g["uuid"]),
    "gpu_bus_id": ("", lambda p, g: g["bus_id"]),
}


def csv_cell(value, suffix: str, nounits: bool) -> str:
    if value is None:
        return "[N/A]"
    if isinstance(value, float):
        value = f"{value:.2f}"
    if suffix and not nounits and suffix != "%":
        return f"{value} {suffix}"
    if suffix == "%" and not nounits:
        return f"{value} %"
    return str(value)


def parse_format(spec: str) -> tuple[bool, bool]:
    parts = spec.split(",")
    if parts[0] != "csv" or any(p not in ("noheader", "nounits") for p in parts[1:]):
        raise StandinError(f'"{spec}" is not a valid format.\n', EXIT_INVALID_ARGUMENT)
    return "noheader" in parts, "nounits" in parts


def render_csv(fields: list[str], known: dict, rows: list[tuple], fmt: str) -> str:
    noheader, nounits = parse_format(fmt)
    for field in fields:
        if field not in known:
            raise StandinError(
                f'Field "{field}" is not a valid field to query.\n\n', EXIT_INVALID_ARGUMENT)
    lines = []
    if not noheader:
        lines.append(", ".join(
            f"{f} [{known[f][0]}]" if known[f][0] else f for f in fields))
    for row in rows:
        lines.append(", ".join(csv_cell(known[f][1](*row), known[f][0], nounits) for f in fields))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- default table (550+ layout)
def render_table(state: dict) -> str:
    rule = "+-----------------------------------------+------------------------+----------------------+"
    out = [
        f"{now():%a %b %d %H:%M:%S %Y}       ",
        "+-----------------------------------------------------------------------------------------+",
        "| NVIDIA-SMI {:<22} Driver Version: {:<14} CUDA Version: {:<8} |".format(
            state["driver_version"], state["driver_version"], state["cuda_version"]),
        "|-----------------------------------------+------------------------+----------------------+",
        "| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |",
        "| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |",
        "|                                         |                        |               MIG M. |",
        "|=========================================+========================+======================|",
    ]
    for gpu in state["gpus"]:
        ecc = "0" if gpu["ecc"] else "Off" if gpu["ecc"] is False else "N/A"
        power = "N/A" if gpu["power_draw_w"] is None else f"{round(gpu['power_draw_w'])}W"
        cap = "N/A" if gpu["power_limit_w"] is None else f"{round(gpu['power_limit_w'])}W"
        persistence = onoff(gpu["persistence"], "On", "Off")
        left1 = f"{gpu['index']:>3}  {gpu['name'][:24]:<24}{persistence:>10}"
        left2 = f"N/A   {gpu['temperature_c']:>2}C    P0 {power:>15} / {cap:>5}"
        mem = f"{gpu['memory_used_mib']}MiB / {gpu['memory_total_mib']:>6}MiB"
        util = f"{gpu['utilization_pct']}%"
        out += [
            f"| {left1:<39} | {gpu['bus_id']:>18} Off | {ecc:>20} |",
            f"| {left2:<39} | {mem:>22} | {util:>7}{gpu['compute_mode']:>13} |",
            f"| {'':<39} | {'':<22} | {onoff(gpu['mig']):>20} |",
            rule,
        ]
    out += [
        "",
        "+-----------------------------------------------------------------------------------------+",
        "| Processes:                                                                              |",
        "|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |",
        "|        ID   ID                                                               Usage      |",
        "|=========================================================================================|",
    ]
    procs = [(g, p) for g in state["gpus"] for p in g["processes"]]
    if not procs:
        out.append("|  No running processes found                                                             |")
    for gpu, proc in procs:
        out.append("|  {:>3}   N/A  N/A  {:>14}  {:>5}   {:<36} {:>9} |".format(
            gpu["index"], proc["pid"], proc.get("type", "C"), proc["name"][:36],
            f"{proc['used_memory_mib']}MiB"))
    out.append("+-----------------------------------------------------------------------------------------+")
    return "\n".join(out) + "\n"


def render_list(state: dict) -> str:
    return "".join(f"GPU {g['index']}: {g['name']} (UUID: {g['uuid']})\n" for g in state["gpus"])


def render_version(state: dict) -> str:
    return (f"NVIDIA-SMI version  : {state['driver_version']}\n"
            f"NVML version        : {state['driver_version'].split('.')[0]}.{state['driver_version']}\n"
            f"DRIVER version      : {state['driver_version']}\n"
            f"CUDA Version        : {state['cuda_version']}\n")


def option_value(args: list[str], name: str) -> str | None:
    for arg in args:
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def run(args: list[str]) -> str:
    state = load_state()
    check_driver(state)
    fmt = option_value(args, "--format")
    query_gpu = option_value(args, "--query-gpu")
    query_apps = option_value(args, "--query-compute-apps")
    if not args:
        return render_table(state)
    if set(args) in ({"-q", "-x"}, {"--query", "--xml-format"}, {"-q", "--xml-format"}, {"--query", "-x"}):
        return render_xml(state)
    if args in (["-L"], ["--list-gpus"]):
        return render_list(state)
    if args == ["--version"]:
        return render_version(state)
    if query_gpu is not None and fmt is not None and len(args) == 2:
        return query_gpu_csv(state, query_gpu, fmt)
    if query_apps is not None and fmt is not None and len(args) == 2:
        rows = [(p, g) for g in state["gpus"] for p in g["processes"]]
        return render_csv(query_apps.split(","), APP_FIELDS, rows, fmt)
    raise StandinError("Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n\n",
                       EXIT_INVALID_ARGUMENT)


def query_gpu_csv(state: dict, query_gpu: str, fmt: str) -> str:
    rows = [(g, state) for g in state["gpus"]]
    known = {k: v for k, v in QUERY_FIELDS.items() if k not in state.get("unknown_query_fields", [])}
    return render_csv(query_gpu.split(","), known, rows, fmt)


def loop_interval_ms(args: list[str]) -> tuple[int | None, list[str]]:
    """(-lms interval, the other arguments): `-lms=500` or `-lms 500`."""
    rest, interval = [], None
    iterator = iter(args)
    for arg in iterator:
        if arg.startswith("-lms="):
            interval = int(arg.split("=", 1)[1])
        elif arg == "-lms":
            interval = int(next(iterator, "0"))
        else:
            rest.append(arg)
    return interval, rest


def loop(interval_ms: int, args: list[str]) -> int:
    """The query loop: one block of rows every interval until killed, as the real tool does."""
    query_gpu, fmt = option_value(args, "--query-gpu"), option_value(args, "--format")
    if query_gpu is None or fmt is None or len(args) != 2:
        sys.stdout.write("Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n\n")
        return EXIT_INVALID_ARGUMENT
    while True:
        try:
            sys.stdout.write(query_gpu_csv(load_state(), query_gpu, fmt))
        except StandinError as error:
            sys.stdout.write(error.text)
            return error.code
        sys.stdout.flush()
        time.sleep(interval_ms / 1000)


def main() -> int:
    interval, args = loop_interval_ms(sys.argv[1:])
    if interval is not None:
        try:
            return loop(interval, args)
        except (BrokenPipeError, KeyboardInterrupt):
            return 0
    try:
        sys.stdout.write(run(sys.argv[1:]))
    except StandinError as error:
        # The real tool prints its errors on stdout, which is why scripts that only read
        # stdout see "NVIDIA-SMI has failed..." as data.
        sys.stdout.write(error.text)
        return error.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
