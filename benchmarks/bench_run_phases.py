"""Wall time of one benchmark step over more hosts than forks: runs started in one task and
watched in the next (phase start) against one task per run (phase whole).

Local-connection hosts and the stand-in harness of bench-controller, so only the controller's
scheduling is measured. Usage: python benchmarks/bench_run_phases.py HOSTS FORKS RUN_S [start whole]
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration" / "benchmark"))
from test_harness_run_phases import PLAY  # noqa: E402  (the test's play, at another size)


def measure(hosts: int, forks: int, run_s: int, phase: str, work: pathlib.Path) -> str:
    work.mkdir(parents=True)
    (work / "play.yml").write_text(PLAY.format(harness=REPO / "benchmarks/controller_cost/standin-harness.sh",
                                               work=work, run_ms=run_s * 1000))
    inventory = {"all": {"hosts": {f"h{i}": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                                   for i in range(hosts)}}}
    (work / "inventory.json").write_text(json.dumps(inventory))
    bin_dir = pathlib.Path(sys.executable).parent
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    load = os.getloadavg()[0]
    began = time.monotonic()
    result = subprocess.run([str(bin_dir / "ansible-playbook"), "-i", str(work / "inventory.json"), "--forks", str(forks),
                             "-e", f"first_phase={phase}", str(work / "play.yml")],
                            env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - began
    return (f"hosts {hosts}, forks {forks}, {run_s} s runs, phase {phase}: rc {result.returncode}, "
            f"wall {wall:.1f} s, load {load:.1f} before")


def main(argv: list[str]) -> int:
    hosts, forks, run_s = (int(value) for value in argv[:3])
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-run-phases-"))
    try:
        for phase in argv[3:] or ["start", "whole"]:
            print(measure(hosts, forks, run_s, phase, work / phase), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
