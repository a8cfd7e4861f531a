"""bench-fleet: wall time of benchmark.yml on 1, 2, 4, 8 namespaced test hosts, same work per host.

Each host runs the same quick Offline run of the tiny model. The harness's own time is the
longest run's `elapsed_s` from the fetched status files; everything else in the wall time is
fleetbench's overhead (checks, preflight, deploy, polling, fetching, parsing, report). Goal:
under 30 s, flat in the number of hosts up to the forks setting. Needs root and the vLLM venv.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "collections"), str(REPO / "harness" / "src")]

from benchmarks import machine, sections  # noqa: E402

from tests.pytest_plugins.benchmark import fleet_vars, run_benchmark, write_inventory  # noqa: E402
from tests.pytest_plugins.harness import make_tiny_dataset, build_once, TINY_MODEL  # noqa: E402
from tests.pytest_plugins.testhosts import claim_fleet  # noqa: E402
from tests.standin.build_repo import build_repo  # noqa: E402

SECTION_START = "<!-- bench-fleet:start -->"
SECTION_END = "<!-- bench-fleet:end -->"
GOAL_S = 30.0


def harness_seconds(run_dir: pathlib.Path) -> float:
    """The longest harness run of the fleet, as its own status file measured it."""
    times = [json.loads(p.read_text()).get("elapsed_s", 0.0) for p in run_dir.glob("*/*/*/fleetbench_status.json")]
    return max(times, default=0.0)


def measure(fleet, hosts: int, work: pathlib.Path, model, dataset) -> dict:
    names = [h.name for h in fleet.hosts][:hosts]
    inventory = write_inventory(work / f"bench-{hosts}.json", fleet_vars(model, dataset, work / "cache"), {})
    run_id = f"bench-fleet-{hosts}"
    load = os.getloadavg()[0]
    began = time.monotonic()
    run = run_benchmark([fleet.inventory, inventory], work / "results", run_id,
                        extra_vars={"fleetbench_hosts": ",".join(names), "fleetbench_report_enabled": True},
                        timeout=3600)
    wall = time.monotonic() - began
    if run.process.returncode != 0:
        raise SystemExit(f"bench-fleet: {hosts} hosts failed:\n{run.explain()}")
    harness = harness_seconds(run.run_dir)
    return {"hosts": hosts, "wall_s": wall, "harness_s": harness, "overhead_s": wall - harness, "load_before": load}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def forks() -> str:
    text = (REPO / "ansible.cfg").read_text()
    match = re.search(r"^forks\s*=\s*(\d+)", text, re.M)
    return match.group(1) if match else "5"


FLAT_S = 10.0  # "flat": the overhead of the largest size within this of the smallest's


def section(rows: list[dict], sizes: list[int], load: list[str], note: str = "") -> str:
    lines = [
        SECTION_START,
        "## bench-fleet: benchmark.yml across namespaced hosts",
        "",
        "Command: `make bench-fleet` (runs `python benchmarks/bench_fleet.py`; `BENCH_FLEET_HOSTS` picks the sizes)",
        "",
        f"Machine: {machine.summary()}; ansible forks = {forks()}",
        "",
        "Per host: the tiny model, quick profile, Offline performance, 64 samples, enforce_eager, on the shared "
        "vLLM CPU venv; the whole flow (checks, preflight, deploy, run, fetch, parse, report).",
        "",
        "Load (`uptime` at the start, then after each size): " + "; ".join(f"`{line}`" for line in load)
        + (f". {note}" if note else ""),
        "",
        "| hosts | wall s | harness s (longest run) | overhead s | goal < 30 s | load 1 min before |",
        "| ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for row in rows:
        verdict = "meets" if row["overhead_s"] < GOAL_S else "MISSES"
        lines.append(f"| {row['hosts']} | {row['wall_s']:.1f} | {row['harness_s']:.1f} | {row['overhead_s']:.1f} "
                     f"| {verdict} | {row['load_before']:.2f} |")
    measured = [row["hosts"] for row in rows]
    lines.append("")
    if measured != sizes:
        missing = " ".join(str(n) for n in sizes if n not in measured)
        lines.append(f"Partial sweep: asked for {' '.join(map(str, sizes))} hosts, measured "
                     f"{' '.join(map(str, measured))}; not measured: {missing}.")
        lines.append("")
    under = all(row["overhead_s"] < GOAL_S for row in rows)
    spread = max(row["overhead_s"] for row in rows) - min(row["overhead_s"] for row in rows)
    flat = spread < FLAT_S
    lines += [
        f"Goals: overhead under {GOAL_S:.0f} s: {'meets' if under else 'MISSES'}; flat in the number of hosts "
        f"(spread under {FLAT_S:.0f} s, sizes up to forks = {forks()}): {'meets' if flat else 'MISSES'} "
        f"(spread {spread:.1f} s over {len(rows)} size(s)).",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. All hosts share the machine's "
        f"{os.cpu_count()} CPUs, so the harness time grows with the host count; the overhead column is the number "
        "to watch. Every size starts from freshly reset hosts (deploy included).",
        SECTION_END,
    ]
    return "\n".join(lines)


def write_section(text: str, benchmarks_md: pathlib.Path) -> None:
    """Replace this benchmark's section in BENCHMARKS.md, leaving every other section alone."""
    sections.write_section(benchmarks_md, text, SECTION_START, SECTION_END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default=os.environ.get("BENCH_FLEET_HOSTS", "1 2 4 8"))
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    parser.add_argument("--note", default=os.environ.get("BENCH_FLEET_NOTE", ""),
                        help="a sentence on the load situation, added to the section")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.hosts.split()]
    python = pathlib.Path(os.environ.get("FLEETBENCH_VLLM_PYTHON", REPO / ".venv-vllm/bin/python"))
    model = build_once(TINY_MODEL, python, "make-tiny-model")
    dataset = make_tiny_dataset(python, model, samples=64)
    fleet = claim_fleet(build_repo(), max(sizes))
    rows = []
    load = [uptime()]
    try:
        with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
            for hosts in sizes:
                for host in fleet.hosts:
                    fleet.reset(host.name)
                rows.append(measure(fleet, hosts, pathlib.Path(tmp), model, dataset))
                print(json.dumps(rows[-1]), flush=True)
                # After every size, so that a sweep cut short still leaves what it measured.
                load.append(uptime())
                text = section(rows, sizes, load, args.note)
                if not args.no_write:
                    write_section(text, REPO / "BENCHMARKS.md")
    finally:
        fleet.down()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
