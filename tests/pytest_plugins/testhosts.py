"""Namespaced SSH test hosts for pytest (tests/testhosts/README.md).

    @pytest.mark.testhosts
    def test_something(testhosts):
        fleet = testhosts(3)                 # node1..node3, up once per session, shared
        fleet.reset("node2")                 # back to a fresh host (new overlay upper dir)
        result = fleet.playbook("playbooks/preflight.yml", extra_vars={...})
        assert fleet.ssh("node1", "dpkg-query -W nvidia-driver-575").returncode == 0
"""
from __future__ import annotations

import json
import os
import pathlib
import shlex
import shutil
import subprocess

import pytest

from tests.testhosts import testhosts as th

REPO = th.REPO


class TestFleet:
    """The first `count` hosts of the session's fleet, with the few ways tests talk to them.

    The fleet grows to the largest size any test asked for; a test that asked for three hosts
    still sees three (its inventory lists only those), whichever tests ran before it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, fleet: th.Fleet, count: int):
        self.fleet = fleet
        self.count = count
        # The first hosts never change as the fleet grows: written once, valid for the session.
        self.inventory = fleet.state_dir / f"inventory-{count}.yml"
        self.inventory.write_text(fleet.inventory_text(count))

    @property
    def names(self) -> list[str]:
        return [h.name for h in self.fleet.hosts[:self.count]]

    def host(self, name: str) -> th.Host:
        return self.fleet.host(name)

    def reset(self, *names: str) -> None:
        for name in names or self.names:
            self.fleet.reset(name)

    def ssh(self, name: str, command: str, check: bool = False) -> subprocess.CompletedProcess:
        """Run a shell command on a host over SSH, as root."""
        host = self.host(name)
        return subprocess.run(
            ["ssh", "-i", str(self.fleet.key), "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
             f"root@{host.address}", command],
            capture_output=True, text=True, check=check, timeout=300)

    def read_json(self, name: str, path: str) -> dict:
        return json.loads(self.ssh(name, f"cat {shlex.quote(path)}", check=True).stdout)

    def write_json(self, name: str, path: str, data: dict) -> None:
        text = shlex.quote(json.dumps(data, indent=2))
        self.ssh(name, f"printf '%s' {text} > {shlex.quote(path)}", check=True)

    def playbook(self, playbook: str | os.PathLike, *args: str, extra_vars: dict | None = None,
                 limit: str | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
        """ansible-playbook from the repository root against these hosts."""
        cmd = [ansible_command("ansible-playbook"), "-i", str(self.inventory), str(playbook), *args]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        if limit:
            cmd += ["--limit", limit]
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                              env=ansible_env())

    def set_cpu_quota(self, name: str, cores: float | None) -> None:
        th.set_cpu_quota(self.host(name), cores)

    def stop_sshd(self, name: str) -> None:
        th.stop_sshd(self.host(name))

    def start_sshd(self, name: str) -> None:
        th.start_sshd(self.host(name))


def ansible_command(name: str) -> str:
    venv_bin = REPO / ".venv" / "bin" / name
    return str(venv_bin) if venv_bin.exists() else (shutil.which(name) or name)


def ansible_env() -> dict:
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
    env["PATH"] = f"{REPO / '.venv' / 'bin'}:{env.get('PATH', '')}"
    env.setdefault("ANSIBLE_NOCOLOR", "1")
    return env


def skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "test hosts need root (network namespaces, mounts, cgroups)"
    for tool in ("debootstrap", "equivs-build", "apt-ftparchive", "ip", "/usr/sbin/sshd", "ssh"):
        if not shutil.which(tool):
            return f"{tool} not found: run scripts/install-system-packages.sh"
    return None


def claim_fleet(apt_repo: pathlib.Path, count: int) -> th.Fleet:
    """A fleet under the first free number, owned by this process."""
    return th.claim_free_fleet(apt_repo, count, owner=os.getpid(), log=lambda _: None)


@pytest.fixture(scope="session")
def standin_apt_repo() -> pathlib.Path:
    """The stand-in NVIDIA apt repository (built once, cached by content hash)."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from tests.standin.build_repo import build_repo
    return build_repo()


@pytest.fixture(scope="session")
def testhosts(standin_apt_repo):
    """Factory: testhosts(n) -> TestFleet with at least n hosts, shared by the whole session."""
    session_fleet: list[th.Fleet] = []

    def bring_up(count: int) -> TestFleet:
        try:
            if not session_fleet:
                session_fleet.append(claim_fleet(standin_apt_repo, count))
            elif session_fleet[0].count < count:
                session_fleet[0].grow(count)
        except th.TestHostsError as error:
            pytest.fail(f"test hosts: {error}", pytrace=False)
        return TestFleet(session_fleet[0], count)

    yield bring_up
    for fleet in session_fleet:
        fleet.down()
