"""bench-fleet: wall time of benchmark.yml on 1, 2, 4, 8 namespaced test hosts, same work per host.

Each host runs the same quick Offline run of the tiny model. The harness's own time is the
longest run's `elapsed_s` from the fetched status files; everything else in the wall time is
fleetbench's overhead (checks, preflight, deploy, polling, fetching, parsing, report). Goal:
under 30 s, flat in the number of hosts up to the forks setting. Needs root and the vLLM venv.

Every test host shares this machine's CPUs, so work that a real fleet does on each host's own
CPUs (module runs, the venv, pip) queues here. To tell that apart from the controller's work,
each stage (a play of benchmark.yml) is timed from the console and charged the machine's busy
CPU seconds (/proc/stat), and the controller's own CPU time (ansible-playbook and its forks) is
taken from the rusage of its process tree.

A fleet owner sizes a controller by what it pays per host: each run's `fleetbench_controller.json`
(written by harness_run) splits its controller CPU into start, watch and collect, and the
collect-and-report stage's controller CPU (the process tree, read from /proc at each play) over
the hosts is the report's share; the section shows them per host and scenario run.

Each size runs twice: on freshly reset hosts (deploy does everything), then again on the same
hosts (deploy finds everything in place), which is what a fleet benchmarked every day sees.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import resource
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "collections"), str(REPO / "harness" / "src")]

from benchmarks import machine, sections  # noqa: E402
from benchmarks.proc_cpu import tree_cpu_seconds  # noqa: E402

from tests.pytest_plugins.benchmark import benchmark_command, benchmark_env, fleet_vars, write_inventory  # noqa: E402
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


# benchmark.yml's plays, grouped into the stages the table shows.
STAGES = {
    "Name the run": "checks and preflight",
    "Check that every host answers and its variables make sense": "checks and preflight",
    "Preflight, compare the fleet before benchmarking": "checks and preflight",
    "Deploy the harness, vLLM, the model and the dataset": "deploy",
    "Run the benchmark matrix": "run",
}
STAGE_ORDER = ("checks and preflight", "deploy", "run", "collect and report")


def busy_cpu_seconds() -> float:
    """CPU seconds this machine has spent busy since boot, all CPUs together."""
    fields = [int(v) for v in pathlib.Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run_staged(command: list[str], env: dict) -> tuple[int, str, list[tuple[str, float, float, float]]]:
    """Run ansible-playbook; return its exit code, its output, and (stage, wall s, busy CPU s,
    controller CPU s) per stage. The controller's CPU is ansible-playbook's process tree, read
    from /proc at each play boundary."""
    marks: list[tuple[str, float, float, float]] = []
    output: list[str] = []
    with tempfile.TemporaryFile("w+") as errors:
        with subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=errors, text=True) as proc:
            # ansible-playbook's own start (inventory, collections) counts with the checks.
            marks.append(("checks and preflight", time.monotonic(), busy_cpu_seconds(), 0.0))
            last_tree = 0.0
            for line in proc.stdout:
                output.append(line)
                play = re.match(r"PLAY \[(.*)\] \*", line)
                if play and not line.startswith("PLAY RECAP"):
                    last_tree = tree_cpu_seconds(proc.pid)
                    marks.append((STAGES.get(play.group(1), "collect and report"), time.monotonic(), busy_cpu_seconds(), last_tree))
                elif line.startswith("PLAY RECAP"):
                    last_tree = tree_cpu_seconds(proc.pid)
        marks.append(("end", time.monotonic(), busy_cpu_seconds(), last_tree))
        errors.seek(0)
        output.append(errors.read())
    spans: dict[str, list[float]] = {}
    for (stage, at, busy, tree), (_, next_at, next_busy, next_tree) in zip(marks[:-1], marks[1:]):
        span = spans.setdefault(stage, [0.0, 0.0, 0.0])
        span[0] += next_at - at
        span[1] += next_busy - busy
        span[2] += next_tree - tree
    return proc.returncode, "".join(output), [(stage, *spans.get(stage, [0.0, 0.0, 0.0])) for stage in STAGE_ORDER]


def measure(fleet, hosts: int, work: pathlib.Path, model, dataset, attempt: str) -> dict:
    names = [h.name for h in fleet.hosts][:hosts]
    inventory = write_inventory(work / f"bench-{hosts}.json", fleet_vars(model, dataset, work / "cache"), {})
    run_id = f"bench-fleet-{hosts}-{attempt}"
    command = benchmark_command([fleet.inventory, inventory], work / "results", run_id,
                                {"fleetbench_hosts": ",".join(names), "fleetbench_report_enabled": True})
    load = os.getloadavg()[0]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    code, output, stages = run_staged(command, benchmark_env(work / "results"))
    wall = time.monotonic() - began
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise SystemExit(f"bench-fleet: {hosts} hosts failed (exit {code}):\n{output[-6000:]}")
    harness = harness_seconds(work / "results" / run_id)
    controller_cpu = (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
    stage_map = {stage: {"wall_s": span, "busy_cpu_s": busy, "controller_cpu_s": tree} for stage, span, busy, tree in stages}
    return {"hosts": hosts, "wall_s": wall, "harness_s": harness, "overhead_s": wall - harness, "load_before": load,
            "controller_cpu_s": controller_cpu, "stages": stage_map,
            "per_host_run": per_host_run_cost(work / "results" / run_id, hosts, stage_map)}


def per_host_run_cost(run_dir: pathlib.Path, hosts: int, stages: dict) -> dict:
    """Controller CPU s per host per scenario run: start, watch, collect (harness_run's own account,
    fleetbench_controller.json, averaged over the runs) and report (the collect-and-report stage's
    controller CPU over the hosts)."""
    costs = [json.loads(p.read_text()).get("controller_cpu_s", {}) for p in run_dir.glob("*/*/*/fleetbench_controller.json")]
    runs = max(1, len(costs))
    split = {part: sum(cost.get(part, 0.0) for cost in costs) / runs for part in ("start", "watch", "collect")}
    split["report"] = stages["collect and report"]["controller_cpu_s"] / max(1, hosts)
    split["runs"] = len(costs)
    return split


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
        "Load (`uptime` at the start, then after each run): " + "; ".join(f"`{line}`" for line in load)
        + (f". {note}" if note else ""),
        "",
        "| hosts | run | wall s | harness s (longest run) | overhead s | goal < 30 s | load 1 min before |",
        "| ---: | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for row in rows:
        for attempt, result in attempts(row):
            verdict = "meets" if result["overhead_s"] < GOAL_S else "MISSES"
            lines.append(f"| {row['hosts']} | {attempt} | {result['wall_s']:.1f} | {result['harness_s']:.1f} "
                         f"| {result['overhead_s']:.1f} | {verdict} | {result['load_before']:.2f} |")
    lines += stage_table(rows)
    lines += per_host_table(rows)
    measured = [row["hosts"] for row in rows]
    lines.append("")
    if measured != sizes:
        missing = " ".join(str(n) for n in sizes if n not in measured)
        lines.append(f"Partial sweep: asked for {' '.join(map(str, sizes))} hosts, measured "
                     f"{' '.join(map(str, measured))}; not measured: {missing}.")
        lines.append("")
    for attempt in ("first", "second"):
        overheads = [result["overhead_s"] for row in rows for name, result in attempts(row) if name == attempt]
        if not overheads:
            continue
        under = all(o < GOAL_S for o in overheads)
        spread = max(overheads) - min(overheads)
        lines.append(
            f"Goals, {attempt} runs: overhead under {GOAL_S:.0f} s: {'meets' if under else 'MISSES'}; flat in the number "
            f"of hosts (spread under {FLAT_S:.0f} s, sizes up to forks = {forks()}): "
            f"{'meets' if spread < FLAT_S else 'MISSES'} (spread {spread:.1f} s over {len(overheads)} size(s)).")
    lines += [
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. All hosts share the machine's "
        f"{os.cpu_count()} CPUs, so the harness time grows with the host count; the overhead column is the number "
        "to watch. `first`: freshly reset hosts, deploy does everything; `second`: the same command again on the "
        "same hosts, deploy finds everything in place.",
        SECTION_END,
    ]
    return "\n".join(lines)


def attempts(row: dict) -> list[tuple[str, dict]]:
    """(name, result) of the first run on fresh hosts and, when measured, the second."""
    return [(name, row[name]) for name in ("first", "second") if name in row]


def stage_table(rows: list[dict]) -> list[str]:
    """Where the time went: wall seconds per stage, with the machine's busy CPU seconds in it."""
    lines = ["", f"Where the time went, per stage: wall s (busy CPU s of the machine's {os.cpu_count()} CPUs in it; "
             f"busy close to {os.cpu_count()} x wall means the stage waited for CPU). `run` includes the harness.", "",
             "| hosts | run | " + " | ".join(STAGE_ORDER) + " | controller CPU s (whole run) |",
             "| ---: | --- | " + " | ".join("---:" for _ in STAGE_ORDER) + " | ---: |"]
    for row in rows:
        for attempt, result in attempts(row):
            cells = [f"{result['stages'][stage]['wall_s']:.1f} ({result['stages'][stage]['busy_cpu_s']:.1f})"
                     for stage in STAGE_ORDER]
            lines.append(f"| {row['hosts']} | {attempt} | " + " | ".join(cells) + f" | {result['controller_cpu_s']:.1f} |")
    return lines


def per_host_table(rows: list[dict]) -> list[str]:
    """What the controller pays per host and scenario run, the number a fleet owner sizes a controller by."""
    lines = ["", "Controller CPU s per host per scenario run (ansible-playbook's process tree; start, watch and collect from "
             "each run's `fleetbench_controller.json`, report = the collect-and-report stage over the hosts):", "",
             "| hosts | run | runs | start | watch | collect | report | total |", "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        for attempt, result in attempts(row):
            split = result.get("per_host_run")
            if not split:
                continue
            total = sum(split[part] for part in ("start", "watch", "collect", "report"))
            lines.append(f"| {row['hosts']} | {attempt} | {split['runs']} | {split['start']:.2f} | {split['watch']:.2f} "
                         f"| {split['collect']:.2f} | {split['report']:.2f} | {total:.2f} |")
    return lines


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
                rows.append({"hosts": hosts})
                for attempt in ("first", "second"):
                    rows[-1][attempt] = measure(fleet, hosts, pathlib.Path(tmp), model, dataset, attempt)
                    print(json.dumps(rows[-1][attempt]), flush=True)
                    # After every run, so that a sweep cut short still leaves what it measured.
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
