"""The drift gate as users run it: `ansible-playbook` on several hosts, each with its own
stand-in driver, plus one host that cannot be reached."""
from __future__ import annotations

import json
import re
import sys

import pytest


@pytest.fixture
def fleet(tmp_path, standin_host):
    """Inventory of local-connection hosts; {name: driver} picks each host's installed driver."""

    def make(drivers: dict, unreachable: tuple = ()) -> str:
        lines = ["[gpu]"]
        for name, driver in drivers.items():
            host = standin_host(name, driver=driver, cuda="12.2" if driver.startswith("535") else "12.8")
            options = {"nvidia_smi_path": str(host.smi), "proc_version_path": str(host.proc_version)}
            lines.append(f"{name} fleetbench_gpu_facts_options='{json.dumps(options)}'")
        # Port 1 on loopback refuses at once: a real SSH connection failure, quickly.
        lines += [f"{name} ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1" for name in unreachable]
        lines += ["[gpu:vars]", "ansible_connection=local", f"ansible_python_interpreter={sys.executable}"]
        inventory = tmp_path / "hosts.ini"
        inventory.write_text("\n".join(lines) + "\n")
        return str(inventory)

    return make


@pytest.fixture
def preflight(run_ansible_cli, repo_root, tmp_path):
    def run(inventory: str, **extra):
        variables = {"fleetbench_results_dir": str(tmp_path / "results"), "fleetbench_run_id": "r1", **extra}
        proc = run_ansible_cli("ansible-playbook", "-i", inventory, "-e", json.dumps(variables),
                               str(repo_root / "tests/integration/preflight/preflight_then_marker.yml"))
        drift_file = tmp_path / "results" / "r1" / "drift.json"
        drift = json.loads(drift_file.read_text()) if drift_file.exists() else None
        went_on = sorted(set(re.findall(r"went on: (\S+?)\"", proc.stdout)))
        return proc, drift, went_on
    return run


def test_driver_drift_and_a_down_host_fail_the_gate_and_stop_every_host(fleet, preflight):
    inventory = fleet({"gpu-a": "570.133.20", "gpu-b": "570.133.20", "gpu-c": "535.247.01"}, unreachable=("gpu-d",))
    proc, drift, went_on = preflight(inventory)
    assert proc.returncode != 0
    assert went_on == []
    assert drift["differing_fields"] == ["driver", "cuda", "kernel_module"]
    driver = next(row for row in drift["fields"] if row["field"] == "driver")
    assert (driver["majority"], driver["deviations"]) == ("570.133.20", {"gpu-c": "535.247.01"})
    assert [entry["host"] for entry in drift["down"]] == ["gpu-d"]
    assert drift["down"][0]["reason"].startswith("unreachable:") and "127.0.0.1" in drift["down"][0]["reason"]
    # The console table highlights the deviating value and names the down host.
    assert re.search(r"driver\s+570\.133\.20 \(2/3\)\s+gpu-c\s+535\.247\.01\s+<<", proc.stdout)
    assert "DOWN gpu-d: unreachable" in proc.stdout
    assert "drift gate (" in proc.stdout and "driver differs (majority 570.133.20: gpu-c=535.247.01)" in proc.stdout


def test_warn_policy_prints_the_drift_and_lets_the_hosts_go_on(fleet, preflight):
    inventory = fleet({"gpu-a": "570.133.20", "gpu-b": "570.133.20", "gpu-c": "575.57.08"})
    proc, drift, went_on = preflight(inventory, fleetbench_drift_policy="warn")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert went_on == ["gpu-a", "gpu-b", "gpu-c"]
    assert "WARNING drift gate (policy warn, going on): driver differs" in proc.stdout
    assert drift["uniform"] is False


def test_down_host_leaves_the_play_under_warn_policy(fleet, preflight):
    inventory = fleet({"gpu-a": "570.133.20", "gpu-b": "570.133.20"}, unreachable=("gpu-d",))
    proc, drift, went_on = preflight(inventory, fleetbench_drift_policy="warn")
    assert went_on == ["gpu-a", "gpu-b"]
    assert drift["uniform"] is True and [d["host"] for d in drift["down"]] == ["gpu-d"]
    assert proc.returncode != 0, "a host that cannot be reached is a failed host"


def test_uniform_fleet_passes_and_saves_the_table(fleet, preflight):
    inventory = fleet({"gpu-a": "570.133.20", "gpu-b": "570.133.20"})
    proc, drift, went_on = preflight(inventory, fleetbench_drift_fields=["driver", "gpu_model", "power_limit_w"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert went_on == ["gpu-a", "gpu-b"]
    assert drift["uniform"] is True and drift["compared_hosts"] == ["gpu-a", "gpu-b"]
    assert [row["majority"] for row in drift["fields"]] == ["570.133.20", "NVIDIA H100 80GB HBM3", 700.0]


def test_misspelt_field_fails_with_a_one_line_cause(fleet, preflight):
    proc, _drift, went_on = preflight(fleet({"gpu-a": "570.133.20"}), fleetbench_drift_fields=["drvier"])
    assert proc.returncode != 0 and went_on == []
    assert "drift field 'drvier' is neither a known field" in proc.stdout + proc.stderr
