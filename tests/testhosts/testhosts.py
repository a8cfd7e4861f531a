#!/usr/bin/env python3
"""Namespaced SSH test hosts on one machine: real Debian hosts for ansible-playbook, no VMs.

    python tests/testhosts/testhosts.py up 3 [--fleet 0] [--apt-repo DIR]
    python tests/testhosts/testhosts.py status [--fleet 0]
    python tests/testhosts/testhosts.py down [--fleet 0]

Each host is:

* a root file system: one Debian minbase tree built once with debootstrap (cached under
  /var/cache/fleetbench/, keyed by a hash of what goes into it, so a change rebuilds it and an
  interrupted build is thrown away), shared read-only as the lower layer of an overlayfs; the
  host writes to its own upper dir;
* a network namespace ``fb<fleet>-node<i>`` with ``eth0`` = 10.231.<fleet>.<10+i>/24, a veth
  to the bridge ``fb<fleet>-br`` (10.231.<fleet>.1) in the root namespace;
* its own hostname (a UTS namespace), its own cgroup (``fb<fleet>-node<i>`` in the cpu
  controller, visible inside as /sys/fs/cgroup/cpu) so a CPU quota can be set per host;
* its own sshd on its address, accepting a key made for this fleet only.

The hosts see the controller's Python (``sys.base_prefix``, e.g. /root/.pyenv) and the vLLM CPU
venv (``<repo>/.venv-vllm``, plus ``<repo>/harness`` that the venv imports in editable mode)
read-only at the same paths. The venv is about 3.5 GB: sharing the one built on the machine lets
every host run the real vLLM CPU harness without installing it per host.

The only network a host has is the bridge: apt inside it sees just the stand-in NVIDIA
repository, served over HTTP from the bridge address (``http://10.231.<fleet>.1:8080/``).

Reboot: ``ansible.builtin.reboot`` would reboot the machine itself. Each host has
/usr/local/sbin/fleetbench-standin-reboot (see standin-reboot.sh), which ends every process of
the host, "loads" the installed stand-in driver, writes a new boot id and restarts sshd. Roles
take it through the variables this script writes into the inventory (README.md).

Several fleets can be up at once (``--fleet``, 0-99): engineers and CI sessions sharing a
machine each get their own names and subnet. Needs root, debootstrap, sshd, iproute2.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import uuid

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
CACHE = pathlib.Path(os.environ.get("FLEETBENCH_TESTHOSTS_CACHE", "/var/cache/fleetbench"))
STATE_ROOT = pathlib.Path(os.environ.get("FLEETBENCH_TESTHOSTS_STATE", "/var/lib/fleetbench-testhosts"))
SUITE = "bookworm"
BASE_PACKAGES = (
    "python3", "python3-apt", "openssh-server", "iproute2", "apt-utils", "procps", "psmisc",
    "kmod", "ca-certificates",
    # What the controller's Python and the shared vLLM venv load from the system.
    "libbz2-1.0", "libffi8", "liblzma5", "libncursesw6", "libnuma1", "libreadline8",
    "libsqlite3-0", "libssl3", "libstdc++6", "libgomp1", "libuuid1", "libexpat1",
    # A real Slurm cluster for the drain/resume hooks of the driver upgrade (not started by default).
    "slurmctld", "slurmd", "slurm-client", "munge",
)
# Bump when the tweaks applied after debootstrap change: it is part of the cache key.
BASE_LAYOUT_VERSION = "1"
APT_PORT = 8080
REBOOT_SCRIPT = HERE / "standin-reboot.sh"
UNLOAD_HOOK = HERE / "standin-unload-modules.sh"
# The hardware of every host, before any driver: what the stand-in nvidia-smi will report once a
# stand-in driver package is installed (tests/standin/nvidia_smi.py documents the state file).
DEFAULT_GPUS = [{"name": "NVIDIA H100 80GB HBM3"}]
STANDIN_DIR = "/var/lib/fleetbench-standin"
# Where the stand-in driver "loads" its module: /proc/driver/nvidia/version on a real host.
LOADED_MODULE_FILE = "/etc/fleetbench-standin/loaded-module"


class TestHostsError(RuntimeError):
    """A one-line reason the hosts could not be built or reached."""


def run(*cmd: str | os.PathLike, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise TestHostsError(f"{' '.join(map(str, cmd))}: {detail[-1] if detail else result.returncode}")
    return result


# ---------------------------------------------------------------- base root file system

def debian_mirror() -> str:
    """The Debian mirror apt on this machine uses (or FLEETBENCH_DEBIAN_MIRROR)."""
    if os.environ.get("FLEETBENCH_DEBIAN_MIRROR"):
        return os.environ["FLEETBENCH_DEBIAN_MIRROR"]
    sources = sorted(pathlib.Path("/etc/apt/sources.list.d").glob("*.sources"))
    for path in sources:
        for stanza in path.read_text().split("\n\n"):
            fields = dict(line.split(":", 1) for line in stanza.splitlines() if ":" in line and not line.startswith("#"))
            if SUITE in fields.get("Suites", "").split():
                return fields["URIs"].split()[0]
    legacy = pathlib.Path("/etc/apt/sources.list")
    for line in legacy.read_text().splitlines() if legacy.exists() else []:
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "deb" and parts[2] == SUITE:
            return next(p for p in parts[1:] if p.startswith(("http", "file")))
    return "http://deb.debian.org/debian"


def base_rootfs_path(mirror: str) -> pathlib.Path:
    key = json.dumps([SUITE, mirror, BASE_PACKAGES, BASE_LAYOUT_VERSION]).encode()
    return CACHE / f"rootfs-{SUITE}-{hashlib.sha256(key).hexdigest()[:12]}"


def ensure_base_rootfs(log=print) -> pathlib.Path:
    """Build the shared lower layer once; reuse it while its complete-marker is there."""
    mirror = debian_mirror()
    base = base_rootfs_path(mirror)
    marker = base / ".fleetbench-complete"
    if marker.exists():
        return base
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "rootfs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return base
        if not shutil.which("debootstrap"):
            raise TestHostsError("debootstrap is not installed: run scripts/install-system-packages.sh")
        partial = base.with_name(base.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
        log(f"testhosts: debootstrap {SUITE} from {mirror} into {partial} (once, 1-2 min)")
        run("debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
            SUITE, partial, mirror)
        prepare_base(partial)
        partial.rename(base)
        marker.write_text(json.dumps({"suite": SUITE, "mirror": mirror, "packages": BASE_PACKAGES}))
    return base


def prepare_base(root: pathlib.Path) -> None:
    # Hosts reach no Debian mirror: apt must only see the stand-in repository.
    (root / "etc/apt/sources.list").write_text("")
    for lists in (root / "var/lib/apt/lists").glob("*_*"):
        lists.unlink()
    for cached in (root / "var/cache/apt/archives").glob("*.deb"):
        cached.unlink()
    # Every host gets its own host key at start-up.
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# no init system in a test host: packages must not start services\nexit 101\n")
    policy.chmod(0o755)


# ---------------------------------------------------------------- one host

@dataclasses.dataclass(frozen=True)
class Host:
    fleet: int
    index: int
    state_dir: pathlib.Path

    @property
    def name(self) -> str:
        return f"node{self.index}"

    @property
    def netns(self) -> str:
        return f"fb{self.fleet}-node{self.index}"

    @property
    def address(self) -> str:
        return f"10.231.{self.fleet}.{10 + self.index}"

    @property
    def dir(self) -> pathlib.Path:
        return self.state_dir / self.name

    @property
    def root(self) -> pathlib.Path:
        return self.dir / "root"

    def cgroup_dir(self) -> pathlib.Path:
        return cgroup_parent() / self.netns


def cgroup_parent() -> pathlib.Path:
    v1 = pathlib.Path("/sys/fs/cgroup/cpu")
    if (v1 / "cpu.cfs_quota_us").exists():
        return v1
    return pathlib.Path("/sys/fs/cgroup")


def shared_binds() -> list[pathlib.Path]:
    """Controller paths every host sees read-only at the same place."""
    candidates = [pathlib.Path(sys.base_prefix), REPO / ".venv-vllm", REPO / "harness"]
    extra = os.environ.get("FLEETBENCH_TESTHOSTS_BINDS", "")
    candidates += [pathlib.Path(p) for p in extra.split(":") if p]
    return [p.resolve() for p in candidates if p.exists()]


def mount_root(host: Host, base: pathlib.Path) -> None:
    for sub in ("upper", "work", "root"):
        (host.dir / sub).mkdir(parents=True, exist_ok=True)
    run("mount", "-t", "overlay", "overlay", "-o",
        f"lowerdir={base},upperdir={host.dir / 'upper'},workdir={host.dir / 'work'}", host.root)
    run("mount", "-t", "proc", "proc", host.root / "proc")
    for tree in ("sys", "dev"):
        run("mount", "--rbind", f"/{tree}", host.root / tree)
        # Mounts made under the host's /sys and /dev must not travel back to the machine's.
        run("mount", "--make-rslave", host.root / tree)
    mount_own_cgroup(host)
    for path in shared_binds():
        target = host.root / path.relative_to("/")
        target.mkdir(parents=True, exist_ok=True)
        run("mount", "--bind", path, target)
        run("mount", "-o", "remount,bind,ro", target)


def mount_own_cgroup(host: Host) -> None:
    """Inside, /sys/fs/cgroup shows the host's own cgroup, as in a container."""
    cgroup = host.cgroup_dir()
    cgroup.mkdir(exist_ok=True)
    inside = host.root / "sys/fs/cgroup"
    if cgroup.parent.name == "cpu":
        run("mount", "-t", "tmpfs", "-o", "mode=755", "cgroup-view", inside)
        (inside / "cpu").mkdir()
        run("mount", "--bind", cgroup, inside / "cpu")
    else:
        enable_v2_cpu_controller()
        run("mount", "--bind", cgroup, inside)


def enable_v2_cpu_controller() -> None:
    control = pathlib.Path("/sys/fs/cgroup/cgroup.subtree_control")
    if "cpu" not in control.read_text().split():
        control.write_text("+cpu")


def configure_host(host: Host, authorized_key: str, repo_url: str | None) -> None:
    root = host.root
    (root / "etc/hostname").write_text(host.name + "\n")
    (root / "etc/hosts").write_text(f"127.0.0.1 localhost\n{host.address} {host.name}\n")
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(authorized_key)
    (ssh_dir / "authorized_keys").chmod(0o600)
    host_key = root / "etc/ssh/ssh_host_ed25519_key"
    if not host_key.exists():
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.name, "-f", host_key)
    (root / "etc/ssh/sshd_config.d/fleetbench.conf").write_text(
        f"ListenAddress {host.address}\n"
        "HostKey /etc/ssh/ssh_host_ed25519_key\n"
        "PermitRootLogin prohibit-password\n"
        # No PAM: pam_loginuid and friends expect a real login system this host lacks.
        "UsePAM no\nUseDNS no\nPidFile /run/sshd.pid\n"
        # ansible-playbook opens many sessions at once (forks, pipelining).
        "MaxStartups 100\nMaxSessions 100\n")
    (root / "run/sshd").mkdir(parents=True, exist_ok=True)
    sources = root / "etc/apt/sources.list.d/fleetbench-standin.list"
    sources.write_text(f"deb [trusted=yes] {repo_url} ./\n" if repo_url else "")
    standin = root / STANDIN_DIR.lstrip("/")
    standin.mkdir(parents=True, exist_ok=True)
    if not (standin / "boot_id").exists():
        (standin / "boot_id").write_text(str(uuid.uuid4()) + "\n")
    install_executable(REBOOT_SCRIPT, root / "usr/local/sbin/fleetbench-standin-reboot")
    install_executable(UNLOAD_HOOK, root / "usr/lib/fleetbench-standin/boot.d/00-unload-modules")
    gpu_state = root / "etc/fleetbench-standin/gpu.json"
    if not gpu_state.exists():
        gpu_state.parent.mkdir(parents=True, exist_ok=True)
        gpu_state.write_text(json.dumps({"gpus": DEFAULT_GPUS}, indent=2))


def install_executable(source: pathlib.Path, target: pathlib.Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o755)


def create_netns(host: Host, bridge: str) -> None:
    run("ip", "netns", "add", host.netns)
    run("ip", "link", "add", host.netns, "type", "veth", "peer", "name", "eth0", "netns", host.netns)
    run("ip", "link", "set", host.netns, "master", bridge, "up")
    run("ip", "-n", host.netns, "addr", "add", f"{host.address}/24", "dev", "eth0")
    run("ip", "-n", host.netns, "link", "set", "eth0", "up")
    run("ip", "-n", host.netns, "link", "set", "lo", "up")
    run("ip", "-n", host.netns, "route", "add", "default", "via", bridge_address(host.fleet))


def start_sshd(host: Host) -> None:
    """sshd in the host's netns, cgroup, UTS and cgroup namespaces, chrooted to its root."""
    # Join the cgroup first: `ip netns exec` remounts /sys, hiding the cgroup file systems.
    procs = host.cgroup_dir() / "cgroup.procs"
    script = (f"echo $$ > {procs} && exec ip netns exec {host.netns} "
              f"unshare --uts --cgroup sh -c 'hostname {host.name} && exec chroot {host.root} /usr/sbin/sshd'")
    run("sh", "-c", script)
    wait_for_port(host.address, 22)


def stop_sshd(host: Host) -> None:
    """Stop the host's listening sshd (open sessions go on): the host is "lost" to ssh."""
    pid_file = host.root / "run/sshd.pid"
    with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
    deadline = time.monotonic() + 10
    while port_open(host.address, 22) and time.monotonic() < deadline:
        time.sleep(0.1)


def port_open(address: str, port: int) -> bool:
    import socket
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((address, port)) == 0


def wait_for_port(address: str, port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(address, port):
        if time.monotonic() > deadline:
            raise TestHostsError(f"{address}:{port} did not open within {timeout:.0f} s")
        time.sleep(0.1)


def set_cpu_quota(host: Host, cores: float | None) -> None:
    """Limit every process of the host to `cores` CPUs (None: no limit)."""
    cgroup = host.cgroup_dir()
    period = 100_000
    if (cgroup / "cpu.cfs_quota_us").exists():
        (cgroup / "cpu.cfs_period_us").write_text(str(period))
        (cgroup / "cpu.cfs_quota_us").write_text(str(int(cores * period)) if cores else "-1")
    else:
        (cgroup / "cpu.max").write_text(f"{int(cores * period)} {period}" if cores else f"max {period}")


def host_pids(host: Host) -> list[int]:
    result = run("ip", "netns", "pids", host.netns, check=False)
    return [int(p) for p in result.stdout.split()]


def kill_host_processes(host: Host) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in host_pids(host):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while host_pids(host) and time.monotonic() < deadline:
            time.sleep(0.1)


def destroy_host(host: Host) -> None:
    if pathlib.Path(f"/run/netns/{host.netns}").exists():
        kill_host_processes(host)
        run("ip", "netns", "delete", host.netns, check=False)
    run("ip", "link", "delete", host.netns, check=False)
    if host.root.exists():
        run("umount", "-R", "-l", host.root, check=False)
    with contextlib.suppress(FileNotFoundError, OSError):
        host.cgroup_dir().rmdir()
    shutil.rmtree(host.dir, ignore_errors=True)


def reset_host(host: Host, base: pathlib.Path, authorized_key: str, repo_url: str | None) -> None:
    """Back to a freshly built host, fast: a new empty overlay upper dir, same address and key."""
    kill_host_processes(host)
    run("umount", "-R", host.root)
    for sub in ("upper", "work"):
        shutil.rmtree(host.dir / sub)
    mount_root(host, base)
    configure_host(host, authorized_key, repo_url)
    start_sshd(host)


# ---------------------------------------------------------------- a fleet of hosts

def bridge_name(fleet: int) -> str:
    return f"fb{fleet}-br"


def bridge_address(fleet: int) -> str:
    return f"10.231.{fleet}.1"


@dataclasses.dataclass
class Fleet:
    """N hosts sharing one bridge, one SSH key and one stand-in apt repository."""

    number: int
    count: int = 0
    apt_repo: str | None = None
    owner: int | None = None

    @property
    def state_dir(self) -> pathlib.Path:
        return STATE_ROOT / f"fleet-{self.number}"

    @property
    def hosts(self) -> list[Host]:
        return [Host(self.number, i, self.state_dir) for i in range(1, self.count + 1)]

    def host(self, name: str) -> Host:
        found = [h for h in self.hosts if h.name == name]
        if not found:
            raise TestHostsError(f"fleet {self.number} has no host {name!r}")
        return found[0]

    @property
    def key(self) -> pathlib.Path:
        return self.state_dir / "ssh" / "id_ed25519"

    @property
    def inventory(self) -> pathlib.Path:
        return self.state_dir / "inventory.yml"

    @property
    def repo_url(self) -> str | None:
        return f"http://{bridge_address(self.number)}:{APT_PORT}/" if self.apt_repo else None

    @classmethod
    def load(cls, number: int) -> Fleet:
        state = STATE_ROOT / f"fleet-{number}" / "state.json"
        if not state.exists():
            return cls(number)
        data = json.loads(state.read_text())
        return cls(number, data["count"], data.get("apt_repo"), data.get("owner"))

    def save(self) -> None:
        (self.state_dir / "state.json").write_text(
            json.dumps({"count": self.count, "apt_repo": self.apt_repo, "owner": self.owner}))

    def abandoned(self) -> bool:
        """Brought up for a process that is gone (a test session killed before teardown)."""
        if self.owner is None:
            return False
        try:
            os.kill(self.owner, 0)
        except ProcessLookupError:
            return True
        return False

    def up(self, count: int, apt_repo: str | os.PathLike | None = None, log=print,
           owner: int | None = None) -> pathlib.Path:
        """Bring up `count` hosts; return the inventory file.

        `owner`: pid of the process the fleet belongs to (a test session), so that a fleet
        left behind by a killed session can be told from one brought up by hand."""
        check_prerequisites()
        if not 0 <= self.number <= 99:
            raise TestHostsError(f"fleet number {self.number} is outside 0-99")
        try:
            self.state_dir.mkdir(parents=True)
        except FileExistsError:
            raise TestHostsError(f"fleet {self.number} is already up ({self.state_dir}): "
                                 f"run `testhosts.py down --fleet {self.number}` or pick another --fleet") from None
        self.apt_repo, self.owner = (str(apt_repo) if apt_repo else None), owner
        self.save()
        try:
            ensure_base_rootfs(log)
            self._create_bridge()
            self._serve_apt_repo()
            self.key.parent.mkdir(mode=0o700)
            run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"fleetbench-fleet-{self.number}",
                "-f", self.key)
            self.grow(count)
        except BaseException:
            self.down()
            raise
        return self.inventory

    def grow(self, count: int) -> None:
        """Add hosts until there are `count`."""
        if not 1 <= count <= 200:
            raise TestHostsError(f"host count {count} is outside 1-200")
        base = ensure_base_rootfs()
        authorized = self.key.with_suffix(".pub").read_text()
        for index in range(self.count + 1, count + 1):
            host = Host(self.number, index, self.state_dir)
            self.count = index
            self.save()
            mount_root(host, base)
            configure_host(host, authorized, self.repo_url)
            create_netns(host, bridge_name(self.number))
            start_sshd(host)
        self.inventory.write_text(self.inventory_text())

    def down(self) -> None:
        """Remove every trace: processes, mounts, namespaces, veths, bridge, cgroups, state."""
        if self.count == 0 and not self.state_dir.exists():
            return
        # One more than recorded: a host may have been half made when `up` was interrupted.
        for index in range(1, self.count + 2):
            destroy_host(Host(self.number, index, self.state_dir))
        stop_pid_file(self.state_dir / "apt-http.pid")
        run("ip", "link", "delete", bridge_name(self.number), check=False)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def reset(self, name: str) -> None:
        host = self.host(name)
        if not os.path.ismount(host.root):
            # Taken down (or being brought up) by another process since this one read the fleet.
            raise TestHostsError(f"fleet {self.number} host {name}: {host.root} is not mounted: the fleet "
                                 f"was taken down or is being rebuilt; bring it up again (`up`) before `reset`")
        base = base_rootfs_path(debian_mirror())
        reset_host(host, base, self.key.with_suffix(".pub").read_text(), self.repo_url)

    def status(self) -> list[dict]:
        return [{"host": h.name, "address": h.address, "netns": h.netns,
                 "sshd": port_open(h.address, 22), "processes": len(host_pids(h))} for h in self.hosts]

    def _create_bridge(self) -> None:
        bridge = bridge_name(self.number)
        run("ip", "link", "add", bridge, "type", "bridge")
        run("ip", "addr", "add", f"{bridge_address(self.number)}/24", "dev", bridge)
        run("ip", "link", "set", bridge, "up")

    def _serve_apt_repo(self) -> None:
        if not self.apt_repo:
            return
        log = open(self.state_dir / "apt-http.log", "w")
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", "--bind", bridge_address(self.number),
             "--directory", self.apt_repo, str(APT_PORT)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (self.state_dir / "apt-http.pid").write_text(str(server.pid))
        wait_for_port(bridge_address(self.number), APT_PORT)

    def inventory_text(self, count: int | None = None) -> str:
        """A YAML inventory (written as JSON, which YAML reads) of the fleet's hosts, or of its
        first `count` hosts."""
        group_vars = {
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(self.key),
            "ansible_python_interpreter": "/usr/bin/python3",
            "ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no",
            # A later fleet reuses these addresses: its connections must not find this one's
            # persistent SSH masters.
            "ansible_control_path_dir": str(self.state_dir / "cp"),
            # How these hosts reboot, prove they did, and show the loaded module (README.md).
            "fleetbench_driver_reboot_command": "/usr/local/sbin/fleetbench-standin-reboot",
            "fleetbench_driver_boot_time_command": f"cat {STANDIN_DIR}/boot_id",
            "fleetbench_gpu_facts_options": {"proc_version_path": LOADED_MODULE_FILE},
        }
        hosts = {h.name: {"ansible_host": h.address} for h in self.hosts[:count]}
        inventory = {"all": {"children": {"fleetbench_testhosts": {"hosts": hosts, "vars": group_vars}}}}
        return json.dumps(inventory, indent=2) + "\n"


FIRST_SHARED_FLEET = 10  # fleets 0-9 are left to people running testhosts.py by hand


def claim_free_fleet(apt_repo: str | os.PathLike | None, count: int, owner: int | None, log=print) -> Fleet:
    """Bring up a fleet under the first free number from 10 up, clearing fleets whose owner is
    gone: test sessions and molecule runs share the machine without picking numbers by hand."""
    for number in range(FIRST_SHARED_FLEET, 100):
        fleet = Fleet.load(number)
        if fleet.state_dir.exists() and fleet.abandoned():
            fleet.down()
        if fleet.state_dir.exists():
            continue
        try:
            fleet.up(count, apt_repo, log=log, owner=owner)
        except TestHostsError as error:
            if "already up" in str(error):
                continue  # another run took this number a moment ago
            raise
        return fleet
    raise TestHostsError(f"no free fleet number in {FIRST_SHARED_FLEET}-99: `testhosts.py status --fleet N`, then `down`")


def stop_pid_file(pid_file: pathlib.Path) -> None:
    with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


def check_prerequisites() -> None:
    if os.geteuid() != 0:
        raise TestHostsError("test hosts need root (network namespaces, mounts, cgroups)")
    for tool in ("debootstrap", "ip", "unshare", "ssh-keygen", "/usr/sbin/sshd"):
        if not shutil.which(tool):
            raise TestHostsError(f"{tool} not found: run scripts/install-system-packages.sh")


# ---------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fleet", type=int, default=int(os.environ.get("FLEETBENCH_TESTHOSTS_FLEET", 0)),
                        help="fleet number 0-99: names fb<N>-*, subnet 10.231.<N>.0/24")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="bring up N hosts and print the inventory path")
    up.add_argument("count", type=int)
    up.add_argument("--apt-repo", help="folder served to the hosts as their apt repository "
                                       "(default: build the stand-in NVIDIA repository)")
    up.add_argument("--no-apt-repo", action="store_true", help="serve no apt repository")
    sub.add_parser("down", help="tear the fleet down")
    sub.add_parser("status", help="show each host")
    sub.add_parser("base", help="build the base root file system only")
    quota = sub.add_parser("cpu-quota", help="limit a host to some CPUs (0: no limit)")
    quota.add_argument("host")
    quota.add_argument("cores", type=float)
    for verb in ("stop-sshd", "start-sshd", "reset"):
        sub.add_parser(verb).add_argument("host")
    args = parser.parse_args(argv)
    fleet = Fleet.load(args.fleet)
    try:
        if args.command == "up":
            started = time.monotonic()
            repo = None if args.no_apt_repo else (args.apt_repo or default_apt_repo())
            inventory = fleet.up(args.count, repo)
            print(f"{args.count} hosts up in {time.monotonic() - started:.1f} s; inventory: {inventory}")
        elif args.command == "down":
            fleet.down()
        elif args.command == "status":
            print(json.dumps(fleet.status(), indent=2))
        elif args.command == "base":
            check_prerequisites()
            print(ensure_base_rootfs())
        elif args.command == "cpu-quota":
            set_cpu_quota(fleet.host(args.host), args.cores or None)
        elif args.command == "stop-sshd":
            stop_sshd(fleet.host(args.host))
        elif args.command == "start-sshd":
            start_sshd(fleet.host(args.host))
        elif args.command == "reset":
            fleet.reset(args.host)
    except TestHostsError as error:
        print(f"testhosts: {error}", file=sys.stderr)
        return 1
    return 0


def default_apt_repo() -> pathlib.Path:
    sys.path.insert(0, str(REPO / "tests" / "standin"))
    from build_repo import build_repo  # noqa: PLC0415 (the stand-in repo is optional here)
    return build_repo()


if __name__ == "__main__":
    sys.exit(main())
