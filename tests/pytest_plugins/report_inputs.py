"""What the report tests read: the shared corpus when present, else stand-ins this session makes.

A clean clone (CI) has no ../shared/corpus. The report tests then still run, on real LoadGen runs
made by tests/tools/make_loadgen_run.py and saved under the corpus folder names the tests use, and
on the `nvidia-smi -q -x` XML the stand-in nvidia-smi prints. Each stand-in is of the same kind as
the corpus folder it replaces (scenario, validity, token latencies), and the fixture checks it is.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.pytest_plugins.gpu import H100, STANDIN, write_loaded_module
from tests.pytest_plugins.loadgen_fixtures import LoadGenRunSpec, make_loadgen_runs
from tests.pytest_plugins.paths import CORPUS
from tests.pytest_plugins.report import GPU_XML, L01_OFFLINE, L02_SERVER, L06_CPU_SERVER, L41_INVALID_SERVER

_LLM = "llama3_1-8b"
_SERVER = ("min_duration_ms=200", "min_query_count=1000")
# Server validity is judged on latency. A 60 s bound holds on a machine stalled by other jobs;
# a 1 ns bound fails on any machine, so the INVALID stand-in is INVALID for LoadGen's own reason.
_GENEROUS_LATENCY = tuple(f"{name}=60000000000" for name in ("server_target_latency_ns", "ttft_latency", "tpot_latency"))
_IMPOSSIBLE_LATENCY = tuple(f"{name}=1" for name in ("server_target_latency_ns", "ttft_latency", "tpot_latency"))

STANDIN_RUNS = {
    L01_OFFLINE: LoadGenRunSpec(
        "Offline", "performance", _LLM, ("min_duration_ms=5", "offline_expected_qps=2000000"), True),
    L02_SERVER: LoadGenRunSpec(
        "Server", "performance", _LLM, _SERVER + ("server_target_qps=4000",) + _GENEROUS_LATENCY, True),
    L06_CPU_SERVER: LoadGenRunSpec(
        "Server", "performance", _LLM, _SERVER + ("server_target_qps=2000",) + _GENEROUS_LATENCY, True),
    L41_INVALID_SERVER: LoadGenRunSpec(
        "Server", "performance", _LLM, _SERVER + ("server_target_qps=4000",) + _IMPOSSIBLE_LATENCY, False),
}
STANDIN_DRIVER = "570.133.20"


@dataclasses.dataclass(frozen=True)
class ReportInputs:
    loadgen: pathlib.Path  # a folder holding the LoadGen output folders by the corpus names
    gpu_xml: str  # what `nvidia-smi -q -x` printed on one GPU host
    from_corpus: bool


@pytest.fixture(scope="session")
def report_inputs(tmp_path_factory) -> ReportInputs:
    if CORPUS.is_dir():
        return ReportInputs(CORPUS / "loadgen", (CORPUS / "nvidia_smi" / GPU_XML).read_text(), True)
    root = tmp_path_factory.mktemp("report_inputs")
    made = make_loadgen_runs(STANDIN_RUNS, root / "loadgen")
    _check_kinds(made)
    return ReportInputs(root / "loadgen", _standin_smi_xml(root / "gpu"), False)


def _check_kinds(made: dict[str, pathlib.Path]) -> None:
    from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir

    for name, folder in made.items():
        record = parse_result_dir(str(folder)).to_dict()
        spec = STANDIN_RUNS[name]
        assert (record["scenario"], record["valid"]) == (spec.scenario, spec.expect_valid), \
            f"stand-in for {name} came out {record['scenario']} valid={record['valid']}: {record['invalid_reasons']}"
        if spec.scenario == "Server":
            assert record["ttft_ns"] and record["tpot_ns"], f"stand-in for {name} has no TTFT/TPOT"


def _standin_smi_xml(folder: pathlib.Path) -> str:
    folder.mkdir()
    loaded_module = folder / "loaded-module"
    write_loaded_module(loaded_module, STANDIN_DRIVER)
    state = folder / "gpu.json"
    state.write_text(json.dumps({"driver_version": STANDIN_DRIVER, "cuda_version": "12.8",
                                 "loaded_module_file": str(loaded_module), "gpus": [{"name": H100}]}))
    completed = subprocess.run([sys.executable, str(STANDIN), "-q", "-x"], capture_output=True, text=True,
                               env={**os.environ, "FLEETBENCH_STANDIN_STATE": str(state)}, check=True, timeout=60)
    return completed.stdout
