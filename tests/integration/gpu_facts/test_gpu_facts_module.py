"""gpu_facts as Ansible runs it (`ansible localhost -m fleetbench.llm.gpu_facts`) against the
stand-in nvidia-smi: XML and CSV paths, no driver, reboot pending, unreadable output, NVML."""
from __future__ import annotations

import json
import sys

import pytest


@pytest.fixture
def gpu_facts(run_ansible_cli, repo_root, tmp_path):
    """Run the module through ansible-playbook; return the registered task result."""
    def run(check: bool = False, **args) -> dict:
        output = tmp_path / "probe.json"
        extra = {**{f"probe_{k}": str(v) for k, v in args.items()}, "probe_output": str(output),
                 "ansible_python_interpreter": sys.executable}
        proc = run_ansible_cli("ansible-playbook", "-i", "localhost,", "-c", "local",
                               *(["--check", "--diff"] if check else []),
                               "-e", json.dumps(extra),
                               str(repo_root / "tests/integration/gpu_facts/gpu_facts_probe.yml"))
        assert output.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
        return json.loads(output.read_text())
    return run


@pytest.mark.parametrize("method", ["xml", "csv"])
def test_reads_driver_cuda_and_every_gpu_from_the_standin(gpu_facts, standin_host, method):
    host = standin_host(driver="570.133.20", cuda="12.8", flavour="open", gpus=[
        {"name": "NVIDIA H100 80GB HBM3", "power_limit_w": 700, "pcie": {"width": 16},
         "processes": [{"pid": 4242, "name": "python3", "used_memory_mib": 1024}]},
        {"name": "NVIDIA H100 80GB HBM3", "power_limit_w": 500, "pcie": {"width": 8}, "ecc": False},
    ])
    result = gpu_facts(method=method, nvidia_smi_path=host.smi, proc_version_path=host.proc_version)
    facts = result["ansible_facts"]["fleetbench_gpu"]
    assert result["changed"] is False
    assert (facts["source"], facts["driver_version"], facts["cuda_driver_version"]) == (method, "570.133.20", "12.8")
    assert (facts["kernel_module_version"], facts["kernel_module_flavour"]) == ("570.133.20", "open")
    assert facts["gpu_present"] and facts["driver_loaded"] and not facts["reboot_pending"]
    assert [g["power_limit_enforced_w"] for g in facts["gpus"]] == [700, 500]
    assert [g["pcie_width_current"] for g in facts["gpus"]] == [16, 8]
    assert [g["ecc_mode"] for g in facts["gpus"]] == [True, False]
    assert facts["gpus"][0]["processes"] == [{"pid": 4242, "name": "python3", "used_memory_mib": 1024}]
    assert facts["host"]["cpu_count"] >= 1


def test_csv_query_drops_the_fields_an_older_driver_rejects(gpu_facts, standin_host):
    host = standin_host(driver="470.256.02", cuda="11.4", unknown_query_fields=["mig.mode.current", "power.default_limit"])
    facts = gpu_facts(method="csv", nvidia_smi_path=host.smi,
                      proc_version_path=host.proc_version)["ansible_facts"]["fleetbench_gpu"]
    assert (facts["driver_version"], facts["gpu_count"]) == ("470.256.02", 2)
    gpu = facts["gpus"][0]
    assert (gpu["mig_mode"], gpu["power_limit_default_w"], gpu["power_limit_enforced_w"]) == (None, None, 700)


def test_no_loaded_module_gives_no_driver_facts_not_a_failure(gpu_facts, standin_host):
    host = standin_host(loaded=None)
    result = gpu_facts(method="xml", nvidia_smi_path=host.smi, proc_version_path=host.proc_version)
    facts = result["ansible_facts"]["fleetbench_gpu"]
    assert not result.get("failed")
    assert (facts["gpu_present"], facts["driver_loaded"], facts["gpu_count"]) == (False, False, 0)
    assert "communicate with the NVIDIA driver" in facts["reason"]


def test_missing_nvidia_smi_gives_no_gpu_facts(gpu_facts, tmp_path):
    result = gpu_facts(method="xml", nvidia_smi_path=tmp_path / "no-such-nvidia-smi",
                       proc_version_path=tmp_path / "no-proc-file")
    facts = result["ansible_facts"]["fleetbench_gpu"]
    assert (facts["gpu_present"], facts["driver_loaded"], facts["source"]) == (False, False, None)
    assert "not found" in facts["reason"]


@pytest.mark.parametrize("method", ["xml", "csv"])
def test_installed_driver_newer_than_loaded_module_means_reboot_pending(gpu_facts, standin_host, method):
    host = standin_host(driver="575.64.03", loaded="570.133.20")
    result = gpu_facts(method=method, nvidia_smi_path=host.smi, proc_version_path=host.proc_version)
    facts = result["ansible_facts"]["fleetbench_gpu"]
    assert facts["reboot_pending"] is True
    assert facts["driver_loaded"] is True and facts["kernel_module_version"] == "570.133.20"
    assert "driver/library version mismatch" in facts["reboot_pending_reasons"]


def test_unreadable_output_fails_quoting_command_and_output(gpu_facts, tmp_path):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'Segmentation fault in libnvidia-ml <garbage>'\n")
    smi.chmod(0o755)
    result = gpu_facts(method="xml", nvidia_smi_path=smi, proc_version_path=tmp_path / "none")
    assert result["failed"] is True
    assert "nvidia-smi -q -x" in result["msg"]
    assert "Segmentation fault in libnvidia-ml <garbage>" in result["msg"]
    assert "Traceback" not in result["msg"]


def test_hung_nvidia_smi_fails_after_the_timeout(gpu_facts, tmp_path):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\nsleep 30\n")
    smi.chmod(0o755)
    result = gpu_facts(method="xml", nvidia_smi_path=smi, proc_version_path=tmp_path / "none", command_timeout=1)
    assert result["failed"] is True
    assert "did not answer within 1 s" in result["msg"]


def test_nvml_without_driver_library_reports_no_driver(gpu_facts, tmp_path):
    pytest.importorskip("pynvml")
    result = gpu_facts(method="nvml", proc_version_path=tmp_path / "none")
    facts = result["ansible_facts"]["fleetbench_gpu"]
    assert (facts["source"], facts["gpu_present"], facts["driver_loaded"]) == ("nvml", False, False)
    assert "NVML library" in facts["reason"]


def test_auto_falls_back_from_nvml_to_nvidia_smi(gpu_facts, standin_host):
    host = standin_host(driver="570.133.20")
    facts = gpu_facts(nvidia_smi_path=host.smi, proc_version_path=host.proc_version)["ansible_facts"]["fleetbench_gpu"]
    assert (facts["source"], facts["gpu_count"]) == ("xml", 2)


def test_check_mode_reads_the_same_facts(gpu_facts, standin_host):
    host = standin_host()
    result = gpu_facts(check=True, method="csv", nvidia_smi_path=host.smi, proc_version_path=host.proc_version)
    assert not result.get("failed") and result["ansible_facts"]["fleetbench_gpu"]["gpu_count"] == 2
