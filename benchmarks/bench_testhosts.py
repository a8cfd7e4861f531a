"""bench-testhosts: how long the namespaced test hosts take to build, start, reach, reset and stop.

Times, median of --repeats: `up N` (base root file system and stand-in repository already
cached), `ansible -m ping` to all N over SSH, `reset` of one host, one stand-in reboot through
ansible.builtin.reboot, `down`. With --cold it first times building the base root file system
(debootstrap) and the stand-in repository (equivs) from nothing, in a scratch cache. Needs root.
Writes its section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import machine, sections  # noqa: E402

from tests.pytest_plugins.testhosts import ansible_command, ansible_env, claim_fleet  # noqa: E402
from tests.standin import build_repo as repo_builder  # noqa: E402
from tests.testhosts import testhosts as th  # noqa: E402

SECTION_START = "<!-- bench-testhosts:start -->"
SECTION_END = "<!-- bench-testhosts:end -->"


def timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def ansible(fleet: th.Fleet, pattern: str, module: str, args: str = "") -> None:
    cmd = [ansible_command("ansible"), "-i", str(fleet.inventory), pattern, "-m", module]
    subprocess.run(cmd + (["-a", args] if args else []), check=True, capture_output=True, env=ansible_env())


def measure_warm(hosts: int, repo: pathlib.Path) -> dict[str, float]:
    times: dict[str, float] = {}
    started = time.monotonic()
    fleet = claim_fleet(repo, hosts)
    times["up"] = time.monotonic() - started
    try:
        times["ping"] = timed(lambda: ansible(fleet, "all", "ansible.builtin.ping"))
        times["reset"] = timed(lambda: fleet.reset("node1"))
        times["reboot"] = timed(lambda: ansible(
            fleet, "node1", "ansible.builtin.reboot",
            "reboot_command={{ fleetbench_driver_reboot_command }} "
            "boot_time_command='{{ fleetbench_driver_boot_time_command }}'"))
    finally:
        times["down"] = timed(fleet.down)
    return times


def measure_cold() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-testhosts-cache-", dir="/var/tmp") as cache:
        th.CACHE = pathlib.Path(cache)
        base = timed(lambda: th.ensure_base_rootfs(log=lambda _: None))
        repo = timed(lambda: repo_builder.build_repo(pathlib.Path(cache)))
    th.CACHE = repo_builder.CACHE
    return {"base": base, "repo": repo}


def section(hosts: int, repeats: int, warm: list[dict[str, float]], cold: dict[str, float] | None) -> str:
    def median(key: str) -> str:
        return f"{statistics.median(t[key] for t in warm):.1f} s"

    load = os.getloadavg()[0]
    lines = [
        SECTION_START,
        "## bench-testhosts: namespaced SSH test hosts",
        "",
        f"Command: `make bench-testhosts` (runs `python benchmarks/bench_testhosts.py --hosts {hosts}"
        f" --repeats {repeats}{' --cold' if cold else ''}`)",
        "",
        f"Machine: {machine.summary()}, load average {load:.1f} at the end",
        "",
        f"| step (median of {repeats}) | time |",
        "| --- | --- |",
        f"| `testhosts.py up {hosts}` (cached base and repository) | {median('up')} |",
        f"| `ansible all -m ansible.builtin.ping` over SSH, {hosts} hosts | {median('ping')} |",
        f"| `reset` of one host (fresh overlay, sshd restarted) | {median('reset')} |",
        f"| stand-in reboot through `ansible.builtin.reboot` | {median('reboot')} |",
        f"| `down` ({hosts} hosts) | {median('down')} |",
    ]
    if cold:
        lines += [
            f"| once per machine: debootstrap of the base root file system | {cold['base']:.1f} s |",
            f"| once per change: stand-in NVIDIA repository (45 packages, equivs) | {cold['repo']:.1f} s |",
        ]
    lines += [
        "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on a machine shared with "
        "other work: ansible and equivs times grow with its load.",
        SECTION_END,
    ]
    return "\n".join(lines)


def write_section(text: str, benchmarks_md: pathlib.Path) -> None:
    """Replace this benchmark's section in BENCHMARKS.md, leaving every other section alone."""
    sections.write_section(benchmarks_md, text, SECTION_START, SECTION_END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="also time debootstrap and the repository build")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    try:
        th.check_prerequisites()
        cold = measure_cold() if args.cold else None
        repo = repo_builder.build_repo()
        th.ensure_base_rootfs()
        warm = [measure_warm(args.hosts, repo) for _ in range(args.repeats)]
    except (th.TestHostsError, repo_builder.RepoBuildError, subprocess.CalledProcessError) as error:
        print(f"bench-testhosts: {error}", file=sys.stderr)
        return 1
    text = section(args.hosts, args.repeats, warm, cold)
    print(text)
    if not args.no_write:
        write_section(text, REPO / "BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
