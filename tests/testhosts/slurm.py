"""A real Slurm cluster on the test hosts (Debian's slurmctld/slurmd 22.05 and munge).

    cluster = start_slurm(fleet, controller="node4", nodes=["node1", "node2", "node3"])

The controller host runs slurmctld; every node runs slurmd. munge shares the key the base root
file system was built with. Each node gets a boot hook that starts munged and slurmd again after
a stand-in reboot, as systemd would. Used by the driver upgrade's drain/resume hook tests.
"""
from __future__ import annotations

import shlex
import time

SLURM_CONF = """\
ClusterName=fleetbench
SlurmctldHost={controller}({controller_address})
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/linear
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MpiDefault=none
SlurmdTimeout=30
{node_lines}
PartitionName=gpu Nodes={node_list} Default=YES MaxTime=INFINITE State=UP
"""

# slurmd 22.05 always loads a cgroup plugin; a test host has no systemd hierarchy to give it.
CGROUP_CONF = "CgroupPlugin=cgroup/v1\nIgnoreSystemd=yes\n"
START_MUNGE = "mkdir -p /run/munge && chown munge:munge /run/munge && runuser -u munge -- /usr/sbin/munged"
START_SLURMD = "mkdir -p /var/lib/slurm/slurmd /var/log/slurm && /usr/sbin/slurmd"
BOOT_HOOK = f"#!/bin/sh\n# Started at boot, as systemd would.\n{START_MUNGE}\n{START_SLURMD}\n"


def slurm_conf(fleet, controller: str, nodes: list[str]) -> str:
    lines = "\n".join(f"NodeName={n} NodeAddr={fleet.host(n).address} CPUs=1 State=UNKNOWN" for n in nodes)
    return SLURM_CONF.format(controller=controller, controller_address=fleet.host(controller).address,
                             node_lines=lines, node_list=",".join(nodes))


def start_slurm(fleet, controller: str, nodes: list[str], timeout: float = 120) -> None:
    conf = slurm_conf(fleet, controller, nodes)
    hosts_file = "".join(f"{fleet.host(n).address} {n}\n" for n in [controller, *nodes])
    for name in [controller, *nodes]:
        fleet.ssh(name, f"mkdir -p /etc/slurm && printf '%s' {shlex.quote(conf)} > /etc/slurm/slurm.conf && "
                        f"printf '%s' {shlex.quote(CGROUP_CONF)} > /etc/slurm/cgroup.conf && "
                        f"printf '%s' {shlex.quote(hosts_file)} >> /etc/hosts && {START_MUNGE}", check=True)
    fleet.ssh(controller, "mkdir -p /var/lib/slurm/slurmctld /var/log/slurm && /usr/sbin/slurmctld", check=True)
    hook = "/usr/lib/fleetbench-standin/boot.d/90-slurmd"
    for name in nodes:
        fleet.ssh(name, f"printf '%s' {shlex.quote(BOOT_HOOK)} > {hook} && chmod 755 {hook} && {START_SLURMD}", check=True)
    wait_for_states(fleet, controller, nodes, {"idle"}, timeout)


def node_states(fleet, controller: str) -> dict[str, str]:
    listed = fleet.ssh(controller, "sinfo --noheader --Node --format '%N %T'").stdout
    return dict(line.split() for line in listed.splitlines() if line.strip())


def wait_for_states(fleet, controller: str, nodes: list[str], states: set[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        current = node_states(fleet, controller)
        if all(current.get(n) in states for n in nodes):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"Slurm nodes not {sorted(states)} after {timeout:.0f} s: {current}")
        time.sleep(1)
