# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the host says about its NVIDIA driver outside NVML: the loaded kernel module
(/proc/driver/nvidia/version), installed and held packages, CUDA toolkit, fabric manager."""
from __future__ import annotations

import json
import os
import re
import typing as t

# "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.247.01  ..." (proprietary) or
# "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.133.20  Release Build ..."
_NVRM = re.compile(r"NVRM version:.*?(?P<open>Open )?Kernel Module(?: for \S+)?\s+(?P<version>\d+\.\d+(?:\.\d+)?)")
_PACKAGE_PATTERNS = ("nvidia-*", "cuda-*", "libnvidia-*", "libcuda*", "nvidia-fabricmanager*")
_NVCC_RELEASE = re.compile(r"release (\d+\.\d+)")

RunCommand = t.Callable[[list], t.Tuple[int, str, str]]


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def parse_kernel_module(text: str | None) -> dict:
    """Version and flavour (open/proprietary) of the loaded module; Nones when absent."""
    found = _NVRM.search(text or "")
    if not found:
        return {"kernel_module_version": None, "kernel_module_flavour": None}
    return {"kernel_module_version": found["version"],
            "kernel_module_flavour": "open" if found["open"] else "proprietary"}


def parse_dpkg_query(text: str) -> tuple[dict, list]:
    """`dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n'` -> ({name: version} of
    installed packages, [names on hold]). Status-Abbrev is desired state, status, error flag:
    "ii" installed, "hi" installed and held, "rc" only configuration left, "un" not installed."""
    installed, held = {}, []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and len(parts[2]) >= 2 and parts[2][1] == "i":
            installed[parts[0]] = parts[1]
            if parts[2][0] == "h":
                held.append(parts[0])
    return installed, held


def parse_rpm_query(text: str) -> dict:
    installed = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            installed[parts[0]] = parts[1]
    return installed


def parse_versionlock(text: str) -> list:
    """`dnf versionlock list` entries 'NAME-[EPOCH:]VERSION-RELEASE.*' -> package names."""
    names = []
    for line in text.splitlines():
        parts = line.strip().rsplit("-", 2)
        if len(parts) == 3 and re.match(r"^(?:\d+:)?\d[\w.+~]*$", parts[1]):
            names.append(parts[0])
    return names


def _command(run_command: RunCommand, argv: list) -> str | None:
    try:
        rc, out, _err = run_command(argv)
    except OSError:
        return None
    return out if rc == 0 else None


def _stdout_any_rc(run_command: RunCommand, argv: list) -> str | None:
    try:
        return run_command(argv)[1]
    except OSError:
        return None


def _apt_packages(run_command: RunCommand, which) -> dict:
    # dpkg-query exits 1 when one pattern matches nothing, yet prints the others' rows.
    out = _stdout_any_rc(run_command, ["dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\n",
                                       *_PACKAGE_PATTERNS])
    installed, held = parse_dpkg_query(out or "")
    marked = (_command(run_command, ["apt-mark", "showhold"]) or "").split() if which("apt-mark") else []
    return {"packages": installed, "held_packages": sorted({h for h in held + marked if h in installed}),
            "package_manager": "apt"}


def _dnf_packages(run_command: RunCommand, which) -> dict:
    out = _command(run_command, ["rpm", "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\n"]) or ""
    installed = {name: version for name, version in parse_rpm_query(out).items()
                 if re.match(r"^(nvidia|cuda|libnvidia|kmod-nvidia)", name)}
    locked = parse_versionlock(_command(run_command, ["dnf", "versionlock", "list"]) or "") if which("dnf") else []
    return {"packages": installed, "held_packages": sorted(n for n in locked if n in installed),
            "package_manager": "dnf"}


def read_packages(run_command: RunCommand, which: t.Callable[[str], str | None]) -> dict:
    """Installed NVIDIA/CUDA packages with versions, and which of them are held/locked."""
    if which("dpkg-query"):
        return _apt_packages(run_command, which)
    if which("rpm"):
        return _dnf_packages(run_command, which)
    return {"packages": {}, "held_packages": [], "package_manager": None}


def driver_package_version(packages: dict) -> str | None:
    """Upstream driver version of the installed driver package, e.g. '570.133.20' from
    nvidia-driver-570 '570.133.20-0ubuntu1' or nvidia-driver '3:570.133.20-1.el9'."""
    for name in sorted(packages):
        if re.match(r"^(nvidia-driver|libnvidia-compute|nvidia-kernel-common|nvidia-utils)(-\d+)?(-server)?(-open)?$", name):
            found = re.match(r"^(?:\d+:)?(\d+\.\d+(?:\.\d+)?)", packages[name])
            if found:
                return found.group(1)
    return None


def cuda_toolkit_version(run_command: RunCommand, which, version_json: str = "/usr/local/cuda/version.json") -> str | None:
    text = read_text(version_json)
    if text:
        try:
            return json.loads(text)["cuda"]["version"]
        except (ValueError, KeyError, TypeError):
            pass
    nvcc = which("nvcc") or ("/usr/local/cuda/bin/nvcc" if os.access("/usr/local/cuda/bin/nvcc", os.X_OK) else None)
    if nvcc:
        found = _NVCC_RELEASE.search(_command(run_command, [nvcc, "--version"]) or "")
        if found:
            return found.group(1)
    return None


def nvswitch_count(devices_dir: str = "/proc/driver/nvidia-nvswitch/devices") -> int:
    try:
        return len(os.listdir(devices_dir))
    except OSError:
        return 0


def fabric_manager_state(run_command: RunCommand, which, switches: int) -> str | None:
    """systemd state of nvidia-fabricmanager; None where no NVSwitch needs it."""
    if switches == 0 or not which("systemctl"):
        return None
    try:
        _rc, out, _err = run_command(["systemctl", "is-active", "nvidia-fabricmanager"])
    except OSError:
        return None
    return out.strip() or "unknown"
