#!/usr/bin/env python3
"""Build the stand-in NVIDIA apt repository the test hosts install drivers from.

    python tests/standin/build_repo.py        # prints the repository folder

For every driver release in packages/catalogue.json (branches 535, 570, 575, two exact versions
each) it builds, with equivs, the packages a real Ubuntu driver install involves, with the same
relations: ``nvidia-driver-<branch>[-open]`` depends on ``nvidia-utils-<branch>``,
``nvidia-kernel-common-<branch>`` and ``nvidia-dkms-<branch>[-open]`` of exactly its own version,
and each kind provides, conflicts with and replaces one virtual name (``nvidia-driver-binary``,
``nvidia-utils``, ...), so installing one branch removes another. Plus
``nvidia-fabricmanager-<branch>`` per release and ``cuda-toolkit-12-2/12-8/12-9``.

Only the GPU is fake: nvidia-utils ships the stand-in nvidia-smi (nvidia_smi.py), its postinst
records the installed driver in /etc/fleetbench-standin/gpu.json, and nvidia-dkms ships the boot
hook that "loads" the module into /etc/fleetbench-standin/loaded-module (run at the host's
stand-in reboot, or at once on a first install).

The result is a flat repository (``deb [trusted=yes] <url> ./``) cached under
/var/cache/fleetbench/apt-repo-<hash of the inputs>: built once, rebuilt when an input changes.
Needs equivs and apt-utils (apt-ftparchive).
"""
from __future__ import annotations

import concurrent.futures
import datetime
import fcntl
import hashlib
import json
import os
import pathlib
import re
import shutil
import string
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
PACKAGES = HERE / "packages"
NVIDIA_SMI = HERE / "nvidia_smi.py"
CACHE = pathlib.Path(os.environ.get("FLEETBENCH_TESTHOSTS_CACHE", "/var/cache/fleetbench"))
FLAVOURS = {"": "proprietary", "-open": "open"}


class RepoBuildError(RuntimeError):
    """A one-line reason the repository could not be built."""


class PackageTemplate(string.Template):
    # `$` belongs to the shell and Python in the templates; placeholders are @{name}.
    delimiter = "@"


def module_banner(upstream: str, released: str, flavour: str) -> str:
    """The first line of /proc/driver/nvidia/version for this build, after "NVRM version: "."""
    stamp = datetime.datetime.fromisoformat(released).replace(hour=17, minute=4, second=12)
    built = stamp.strftime("%a %b %d %H:%M:%S UTC %Y")
    if flavour == "open":
        return f"NVIDIA UNIX Open Kernel Module for x86_64  {upstream}  Release Build  (dvs-builder@U22-I3-AF03-09-1)  {built}"
    return f"NVIDIA UNIX x86_64 Kernel Module  {upstream}  {built}"


def package_builds(catalogue: dict) -> list[tuple[str, dict]]:
    """(control template name, placeholder values) for every package in the repository."""
    builds = []
    for branch, info in catalogue["drivers"].items():
        for upstream, released in info["releases"].items():
            common = {"branch": branch, "upstream": upstream, "cuda": info["cuda"],
                      "version": f"{upstream}-{catalogue['driver_revision']}",
                      "fabricmanager_version": f"{upstream}-1"}
            builds += [("nvidia-utils", common), ("nvidia-kernel-common", common),
                       ("nvidia-fabricmanager", common)]
            for suffix, flavour in FLAVOURS.items():
                flavoured = {**common, "flavour_suffix": suffix, "flavour": flavour,
                             "module_banner": module_banner(upstream, released, flavour)}
                builds += [("nvidia-driver", flavoured), ("nvidia-dkms", flavoured)]
    for cuda, version in catalogue["cuda_toolkits"].items():
        builds.append(("cuda-toolkit", {"cuda": cuda, "cuda_dashed": cuda.replace(".", "-"),
                                        "toolkit_version": version,
                                        "toolkit_upstream": version.split("-")[0]}))
    return builds


def render(name: str, values: dict) -> str:
    try:
        return PackageTemplate((PACKAGES / name).read_text()).substitute(values)
    except KeyError as missing:
        raise RepoBuildError(f"{PACKAGES / name}: no value for placeholder {missing}") from None


def referenced_files(control: str) -> list[str]:
    """Names of the files a rendered equivs control file needs beside it."""
    names = []
    for match in re.finditer(r"^(Files|Postinst|Postrm|Preinst|Prerm):(.*(?:\n .*)*)", control, re.M):
        lines = match.group(2).strip().splitlines()
        if match.group(1) == "Files":
            names += [line.split()[0] for line in lines]
        else:
            names.append(lines[0].strip())
    return names


def build_package(template: str, values: dict, out_dir: pathlib.Path) -> pathlib.Path:
    control = render(f"{template}.control", values)
    with tempfile.TemporaryDirectory(prefix="fleetbench-equivs-") as work:
        work_dir = pathlib.Path(work)
        (work_dir / "control").write_text(control)
        for name in referenced_files(control):
            target = work_dir / name
            if name == "nvidia-smi":
                shutil.copyfile(NVIDIA_SMI, target)
            else:
                target.write_text(render(name, values))
            target.chmod(0o755)
        result = subprocess.run(["equivs-build", "control"], cwd=work_dir, capture_output=True, text=True)
        debs = list(work_dir.glob("*.deb"))
        if result.returncode != 0 or len(debs) != 1:
            last = (result.stderr or result.stdout).strip().splitlines()
            raise RepoBuildError(f"equivs-build {template} {values.get('upstream', values.get('cuda'))}: "
                                 f"{last[-1] if last else 'no package built'}")
        return pathlib.Path(shutil.move(debs[0], out_dir / debs[0].name))


def inputs_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(PACKAGES.iterdir()) + [NVIDIA_SMI, pathlib.Path(__file__)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def index_repository(repo: pathlib.Path) -> None:
    packages = subprocess.run(["apt-ftparchive", "packages", "."], cwd=repo, check=True,
                              capture_output=True, text=True).stdout
    (repo / "Packages").write_text(packages)
    release = subprocess.run(
        ["apt-ftparchive", "-o", "APT::FTPArchive::Release::Origin=fleetbench-standin",
         "-o", "APT::FTPArchive::Release::Label=fleetbench stand-in NVIDIA", "release", "."],
        cwd=repo, check=True, capture_output=True, text=True).stdout
    (repo / "Release").write_text(release)


def build_repo(cache: pathlib.Path = CACHE) -> pathlib.Path:
    """The repository folder, built now unless a complete one for these inputs exists."""
    repo = cache / f"apt-repo-{inputs_digest()}"
    if (repo / "Release").exists():
        return repo
    for tool in ("equivs-build", "apt-ftparchive"):
        if not shutil.which(tool):
            raise RepoBuildError(f"{tool} not found: run scripts/install-system-packages.sh")
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "apt-repo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (repo / "Release").exists():
            return repo
        partial = repo.with_name(repo.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        catalogue = json.loads((PACKAGES / "catalogue.json").read_text())
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            jobs = [pool.submit(build_package, t, v, partial) for t, v in package_builds(catalogue)]
            for job in jobs:
                job.result()
        index_repository(partial)
        partial.rename(repo)
    return repo


def main() -> int:
    try:
        print(build_repo())
    except (RepoBuildError, OSError, subprocess.CalledProcessError) as error:
        print(f"build_repo: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
