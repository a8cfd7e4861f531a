"""bench-controller: what the controller pays to watch a run and bring its files back, per host.

One namespaced test host runs a stand-in harness (controller_cost/standin-harness.sh: a status
file and a log going for min_duration seconds, then the files a quick run leaves); the
benchmark_run role watches it and collects its files, once with a short and once with a long
run. The controller's CPU seconds (ansible-playbook and every process under it, read from /proc
at each task boundary) are charged to the role's tasks; the difference between the long and the
short run over the difference in looks is the cost of one look.

`--before DIR` measures a second tree the same way (for example `git archive main | tar -x -C DIR`),
so the table shows both. Needs root (test hosts); no vLLM.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "collections")]

from benchmarks import machine, sections  # noqa: E402
from benchmarks.proc_cpu import own_cpu_seconds, ssh_master_cpu_seconds, tree_cpu_seconds  # noqa: E402

from tests.pytest_plugins.testhosts import claim_fleet  # noqa: E402
from tests.standin.build_repo import build_repo  # noqa: E402

SECTION_START = "<!-- bench-controller:start -->"
SECTION_END = "<!-- bench-controller:end -->"
PLAYBOOK = REPO / "benchmarks" / "controller_cost" / "watch_and_collect.yml"
STANDIN = REPO / "benchmarks" / "controller_cost" / "standin-harness.sh"
FILES_PER_RUN = 8  # what the stand-in leaves, as a quick run does


def install_standin(host_root: pathlib.Path) -> None:
    folder = host_root / "opt" / "fleetbench-standin"
    (folder / "model").mkdir(parents=True, exist_ok=True)
    (folder / "dataset.json").write_text("[]\n")
    shutil.copy(STANDIN, folder / "fleetbench-harness")
    (folder / "fleetbench-harness").chmod(0o755)


def slower_internal_poll(tree: pathlib.Path, seconds: float, folder: pathlib.Path) -> pathlib.Path:
    """The tree's ansible.cfg with `internal_poll_interval` set (it has no environment variable)."""
    text = (tree / "ansible.cfg").read_text().replace("= ./collections", f"= {tree}/collections")
    config = folder / "ansible.cfg"
    config.write_text(text.replace("[defaults]\n", f"[defaults]\ninternal_poll_interval = {seconds}\n", 1))
    return config


def run_tasks(tree: pathlib.Path, command: list[str], env: dict, control_dir: str) -> tuple[int, str, dict[str, list[float]]]:
    """Run ansible-playbook from `tree`; per task name, the controller's CPU seconds [in the host's
    worker processes, their ssh clients and the host's ssh master, in ansible-playbook's own main process]."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(tree / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", **env}
    per_task: dict[str, list[float]] = {}
    output = []
    with subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        task, mark = "startup", (0.0, 0.0)
        for line in proc.stdout:
            output.append(line)
            found = re.match(r"(TASK|PLAY RECAP) \[?(.*?)\]? \*", line)
            if found:
                main_cpu = own_cpu_seconds(proc.pid)
                now = (tree_cpu_seconds(proc.pid) - main_cpu + ssh_master_cpu_seconds(control_dir), main_cpu)
                spent = per_task.setdefault(task, [0.0, 0.0])
                spent[0] += now[0] - mark[0]
                spent[1] += now[1] - mark[1]
                task, mark = (found.group(2) if found.group(1) == "TASK" else "end"), now
    return proc.returncode, "".join(output), per_task


def host_cpu_seconds(cgroup: pathlib.Path) -> float | None:
    """CPU seconds of the test host's processes (its cgroup), waited-for children included: the
    sshd session behind the persistent connection reaps every command and module run."""
    try:
        pids = [int(pid) for pid in (cgroup / "cgroup.procs").read_text().split()]
    except OSError:
        return None
    return sum(tree_cpu_seconds(pid, descend=False) for pid in pids)


def measure(tree: pathlib.Path, inventory: pathlib.Path, seconds: int, interval: int, work: pathlib.Path, name: str,
            env: dict, control_dir: str, cgroup: pathlib.Path) -> dict:
    run_id = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{name}-{seconds}s-{int(time.time())}")
    extra = {"fleetbench_run_id": run_id, "fleetbench_results_dir": str(work / "results"), "fleetbench_poll_interval": interval,
             "fleetbench_loadgen_settings": {"min_duration": seconds * 1000}, "fleetbench_profile": "quick"}
    command = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), "-e", json.dumps(extra)]
    host_before = host_cpu_seconds(cgroup)
    code, output, per_task = run_tasks(tree, command, env, control_dir)
    host_after = host_cpu_seconds(cgroup)
    if code != 0:
        raise SystemExit(f"bench-controller: {name} {seconds} s failed (exit {code}):\n{output[-4000:]}")
    run = sum(cpu[0] for task, cpu in per_task.items() if "the harness" in task)
    run_main = sum(cpu[1] for task, cpu in per_task.items() if "the harness" in task)
    fetch = sum(cpu[0] for task, cpu in per_task.items() if task.endswith("Fetch the run's files to the controller"))
    cost_files = list((work / "results" / run_id).glob("*/Offline/performance/fleetbench_controller.json"))
    cost = json.loads(cost_files[0].read_text()) if cost_files else None
    looks = cost["looks"]["reads"] if cost else math.ceil(seconds / interval)
    module_runs = cost["looks"]["module_polls"] if cost else looks
    stages = cost["controller_cpu_s"] if cost else {}
    # Before the archive, the files came back in their own task; now harness_run brings them.
    collect = fetch if not cost else stages.get("collect", 0.0)
    return {"tree": name, "seconds": seconds, "interval": interval, "looks": looks, "module_polls": module_runs,
            "looks_measured": bool(cost), "run_task_cpu_s": run, "run_task_main_cpu_s": run_main, "collect_cpu_s": collect,
            "watch_cpu_s": stages.get("watch"), "start_cpu_s": stages.get("start"),
            "whole_play_cpu_s": sum(sum(cpu) for cpu in per_task.values()),
            "host_cpu_s": None if host_before is None or host_after is None else host_after - host_before}


def per_look(short: dict, long: dict) -> float:
    """Worker CPU s of one look: the long run's extra watch cost over its extra looks."""
    watch_short = short["run_task_cpu_s"] - (short["collect_cpu_s"] if short["looks_measured"] else 0)
    watch_long = long["run_task_cpu_s"] - (long["collect_cpu_s"] if long["looks_measured"] else 0)
    return (watch_long - watch_short) / max(1, long["looks"] - short["looks"])


def main_per_second(short: dict, long: dict) -> float:
    """ansible-playbook's main process, CPU s per wall second while a task waits on its hosts."""
    return (long["run_task_main_cpu_s"] - short["run_task_main_cpu_s"]) / max(1, long["seconds"] - short["seconds"])


def host_per_look(short: dict, long: dict) -> float | None:
    """The host's CPU per look (the stand-in harness itself costs about the same in both runs)."""
    if short["host_cpu_s"] is None or long["host_cpu_s"] is None:
        return None
    return (long["host_cpu_s"] - short["host_cpu_s"]) / max(1, long["looks"] - short["looks"])


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def section(rows: list[dict], official_s: int = 600) -> str:
    lines = [SECTION_START, "## bench-controller: what watching and collecting one run cost the controller", "",
             "Command: `make bench-controller` (runs `python benchmarks/bench_controller.py`; "
             "`BENCH_CONTROLLER_BEFORE=DIR` adds another tree, e.g. `git archive main | tar -x -C DIR`)", "",
             f"Machine: {machine.summary()}. One namespaced SSH test host, a stand-in harness "
             f"(`benchmarks/controller_cost/standin-harness.sh`) that leaves {FILES_PER_RUN} files of a quick run's sizes; "
             "`fleetbench_poll_interval` 2. Controller CPU = ansible-playbook's process tree, read from /proc at each task "
             "boundary, plus the host's persistent ssh master: `workers` are the per-host worker processes, their ssh clients "
             "and the ssh master (what each host costs), `main` is "
             "ansible-playbook's own process (one per play, whatever the host count).", "",
             "| tree | run s | looks | module runs to watch | workers CPU s: run task | main CPU s: run task "
             "| CPU s: bringing files back | CPU s: whole play | host CPU s: whole play |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        looks = f"{row['looks']}" if row["looks_measured"] else f"~{row['looks']} (interval)"
        lines.append(f"| {row['tree']} | {row['seconds']} | {looks} | {row['module_polls']} | {row['run_task_cpu_s']:.2f} "
                     f"| {row['run_task_main_cpu_s']:.2f} | {row['collect_cpu_s']:.2f} | {row['whole_play_cpu_s']:.2f} "
                     f"| {fmt(row['host_cpu_s'])} |")
    lines += ["", f"Per host, projected to a {official_s} s official run from the two lengths measured "
              "(looks: 120 module runs at the old 5 s default; about 21 looks now):", "",
              "| tree | workers CPU s per look | CPU s to bring one run's files back | looks | watch + collect CPU s per host "
              "| main process CPU s per wall s (per play) | host CPU s per look |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for tree in dict.fromkeys(row["tree"] for row in rows):
        mine = sorted((row for row in rows if row["tree"] == tree), key=lambda row: row["seconds"])
        if len(mine) < 2:
            continue
        look = per_look(mine[0], mine[-1])
        official_looks = 21 if mine[-1]["looks_measured"] else official_s // 5
        lines.append(f"| {tree} | {look:.4f} | {mine[-1]['collect_cpu_s']:.3f} | {official_looks} "
                     f"| {look * official_looks + mine[-1]['collect_cpu_s']:.2f} | {main_per_second(mine[0], mine[-1]):.4f} "
                     f"| {fmt(host_per_look(mine[0], mine[-1]))} |")
    lines += ["", f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load `{os.getloadavg()[0]:.2f}` (1 min) at the end. "
              "Before, a look was one `harness_run` module run; now it is one shell command over the held connection. "
              "Before, each file came back with its own `fetch`; now one checked archive per run.", SECTION_END]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=pathlib.Path, help="another checkout to measure the same way (e.g. main)")
    parser.add_argument("--seconds", default="10 70", help="run lengths, short then long")
    parser.add_argument("--interval", type=int, default=2, help="fleetbench_poll_interval")
    parser.add_argument("--internal-poll-interval", type=float, default=0.0,
                        help="also measure the current tree with ansible's internal_poll_interval at this value")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    fleet = claim_fleet(build_repo(), 1)
    rows: list[dict] = []
    try:
        install_standin(fleet.hosts[0].root)
        with tempfile.TemporaryDirectory(prefix="bench-controller-") as tmp:
            inventory = pathlib.Path(tmp) / "inventory.json"
            inventory.write_text(fleet.inventory_text(1))
            trees = ([("before", args.before.resolve(), {})] if args.before else []) + [("after", REPO, {})]
            if args.internal_poll_interval:
                config = slower_internal_poll(REPO, args.internal_poll_interval, pathlib.Path(tmp))
                trees.append((f"after, internal_poll_interval {args.internal_poll_interval}", REPO, {"ANSIBLE_CONFIG": str(config)}))
            for name, tree, env in trees:
                for seconds in (int(s) for s in args.seconds.split()):
                    rows.append(measure(tree, inventory, seconds, args.interval, pathlib.Path(tmp), name, env,
                                        str(fleet.state_dir / "cp"), fleet.hosts[0].cgroup_dir()))
                    print(json.dumps(rows[-1]), flush=True)
    finally:
        fleet.down()
    text = section(rows)
    if not args.no_write:
        sections.write_section(REPO / "BENCHMARKS.md", text, SECTION_START, SECTION_END)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
