"""Names and addresses of test hosts: unique per fleet, valid for the kernel, in the inventory."""
from __future__ import annotations

import json
import os

import pytest

from tests.testhosts import testhosts as th


def test_hosts_of_two_fleets_never_share_a_name_or_an_address():
    first = th.Fleet(10, count=3).hosts
    second = th.Fleet(11, count=3).hosts
    assert {h.netns for h in first}.isdisjoint(h.netns for h in second)
    assert {h.address for h in first}.isdisjoint(h.address for h in second)
    assert th.bridge_name(10) != th.bridge_name(11)


def test_interface_names_fit_the_kernel_limit_for_the_largest_fleet():
    largest = th.Fleet(99, count=200).hosts[-1]
    assert len(largest.netns) <= 15 and len(th.bridge_name(99)) <= 15
    assert largest.address == "10.231.99.210"


def test_inventory_lists_every_host_with_its_address_and_the_standin_reboot():
    fleet = th.Fleet(12, count=2)
    inventory = json.loads(fleet.inventory_text())
    group = inventory["all"]["children"]["fleetbench_testhosts"]
    assert group["hosts"] == {"node1": {"ansible_host": "10.231.12.11"}, "node2": {"ansible_host": "10.231.12.12"}}
    assert group["vars"]["ansible_user"] == "root"
    assert group["vars"]["ansible_ssh_private_key_file"] == str(fleet.key)
    assert group["vars"]["fleetbench_driver_reboot_command"] == "/usr/local/sbin/fleetbench-standin-reboot"
    assert group["vars"]["fleetbench_gpu_facts_options"] == {"proc_version_path": th.LOADED_MODULE_FILE}


def test_a_test_that_asked_for_fewer_hosts_gets_an_inventory_of_only_those():
    # The session's fleet grows to the largest size asked for; a three-host test must not
    # benchmark or gate the hosts a ten-host test added before it.
    fleet = th.Fleet(13, count=10)
    hosts = json.loads(fleet.inventory_text(3))["all"]["children"]["fleetbench_testhosts"]["hosts"]
    assert list(hosts) == ["node1", "node2", "node3"]
    assert len(json.loads(fleet.inventory_text())["all"]["children"]["fleetbench_testhosts"]["hosts"]) == 10


def test_base_rootfs_changes_path_when_what_goes_into_it_changes(monkeypatch):
    before = th.base_rootfs_path("http://deb.debian.org/debian")
    monkeypatch.setattr(th, "BASE_PACKAGES", th.BASE_PACKAGES + ("less",))
    assert th.base_rootfs_path("http://deb.debian.org/debian") != before
    assert before.parent == th.CACHE and before.name.startswith("rootfs-bookworm-")


def test_a_fleet_whose_session_is_gone_is_abandoned_and_one_made_by_hand_is_not():
    assert th.Fleet(13, owner=None).abandoned() is False
    assert th.Fleet(13, owner=2**22 + 12345).abandoned() is True  # above pid_max
    assert th.Fleet(13, owner=os.getpid()).abandoned() is False


def test_reset_of_a_host_whose_fleet_was_taken_down_names_fleet_host_and_cause(monkeypatch, tmp_path):
    monkeypatch.setattr(th, "STATE_ROOT", tmp_path)
    fleet = th.Fleet(42, count=2)  # recorded with two hosts, but nothing is mounted any more
    with pytest.raises(th.TestHostsError, match=r"fleet 42 host node2: .*/fleet-42/node2/root is not mounted"):
        fleet.reset("node2")
