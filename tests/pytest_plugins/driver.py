"""Fixtures for the nvidia_driver role tests: run a role entry point on test hosts as AWX would."""
from __future__ import annotations

import dataclasses
import pathlib
import tempfile

import ansible_runner
import pytest

from tests.pytest_plugins.paths import REPO

DRIVER_PLAYBOOK = REPO / "tests" / "integration" / "driver" / "playbooks" / "nvidia_driver.yml"


@dataclasses.dataclass
class PlaybookRun:
    """One ansible-playbook run through ansible-runner: its status, stats and task results."""

    rc: int
    stats: dict
    events: list[dict]
    stdout: str

    def changed(self, host: str) -> int:
        return (self.stats or {}).get("changed", {}).get(host, 0)

    def host_results(self, host: str, task_name: str) -> list[dict]:
        return [e["event_data"]["res"] for e in self.events
                if e.get("event") in ("runner_on_ok", "runner_on_failed")
                and e["event_data"].get("host") == host and e["event_data"].get("task") == task_name]

    def failure_messages(self, host: str) -> list[str]:
        return [e["event_data"]["res"].get("msg", "") for e in self.events
                if e.get("event") == "runner_on_failed" and e["event_data"].get("host") == host
                and not e["event_data"].get("ignore_errors")]


def run_playbook(inventory: pathlib.Path, limit: str, extra_vars: dict, *, check: bool = False,
                 playbook: pathlib.Path = DRIVER_PLAYBOOK) -> PlaybookRun:
    with tempfile.TemporaryDirectory(prefix="fleetbench-driver-runner-") as private:
        result = ansible_runner.run(
            private_data_dir=private, project_dir=str(REPO), playbook=str(playbook),
            inventory=str(inventory), limit=limit, extravars=extra_vars,
            cmdline="--check" if check else None, quiet=True,
            envvars={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"},
        )
        return PlaybookRun(result.rc, result.stats or {}, list(result.events), result.stdout.read())


@pytest.fixture(scope="session")
def run_driver_role():
    """run_driver_role(inventory, host, vars, check=False, entry_point="main") -> PlaybookRun."""
    def run(inventory: pathlib.Path, host: str, extra_vars: dict, *, check: bool = False,
            entry_point: str = "main") -> PlaybookRun:
        return run_playbook(inventory, host, {**extra_vars, "fleetbench_driver_entry_point": entry_point}, check=check)
    return run
