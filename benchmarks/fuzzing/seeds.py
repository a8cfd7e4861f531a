"""Where the fuzzer's seeds come from: the shared corpus when it is there, outputs made in the
session (LoadGen runs, the stand-in nvidia-smi) always. Corpus files are read, never copied."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_csv import QUERY_FIELDS

REPO = pathlib.Path(__file__).resolve().parents[2]
STANDIN = REPO / "tests" / "standin" / "nvidia_smi.py"
LOADGEN_FILES = ("mlperf_log_summary.txt", "mlperf_log_detail.txt", "accuracy.txt")
# nvidia-smi format -> how corpus file names end
_SMI_SUFFIXES = {"xml": "_q-x.xml", "csv": "query-gpu.csv", "text": "_q.txt", "table": "_default.txt"}
_STANDIN_ARGS = {"xml": ["-q", "-x"], "csv": [f"--query-gpu={','.join(QUERY_FIELDS)}", "--format=csv"], "table": []}
_STANDIN_STATE = {
    "driver_version": "570.133.20", "cuda_version": "12.8",
    "gpus": [{"name": "NVIDIA H100 80GB HBM3", "memory_total_mib": 81559, "power_draw_w": 70.5},
             {"name": "NVIDIA H100 80GB HBM3", "memory_total_mib": 81559, "power_draw_w": 71.0}],
}


def loadgen_folders(corpus: pathlib.Path | None, runs: list[pathlib.Path]) -> list[pathlib.Path]:
    """Every folder holding LoadGen logs: the corpus's, then the runs made in this session."""
    found = sorted(p.parent for p in (corpus / "loadgen").glob("*/mlperf_log_detail.txt")) if corpus else []
    return found + [run for run in runs if (run / "mlperf_log_detail.txt").is_file()]


def loadgen_files(folders: list[pathlib.Path], name: str) -> list[tuple[str, bytes]]:
    return [(f"{folder.name}/{name}", (folder / name).read_bytes()) for folder in folders if (folder / name).is_file()]


def smi_outputs(corpus: pathlib.Path | None, fmt: str) -> list[tuple[str, bytes]]:
    """nvidia-smi outputs in one format: the corpus's and the stand-in's."""
    found = []
    if corpus and (corpus / "nvidia_smi").is_dir():
        found = [(p.name, p.read_bytes()) for p in sorted((corpus / "nvidia_smi").glob(f"*{_SMI_SUFFIXES[fmt]}"))]
    if fmt in _STANDIN_ARGS:
        found.append((f"standin-{fmt}", _standin_output(_STANDIN_ARGS[fmt])))
    return found


def _standin_output(args: list[str]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        state = pathlib.Path(folder) / "gpu.json"
        loaded = pathlib.Path(folder) / "loaded-module"
        loaded.write_text(f"NVRM version: NVIDIA UNIX x86_64 Kernel Module  {_STANDIN_STATE['driver_version']}\n", encoding="utf-8")
        state.write_text(json.dumps({**_STANDIN_STATE, "loaded_module_file": str(loaded)}), encoding="utf-8")
        completed = subprocess.run([sys.executable, str(STANDIN), *args], capture_output=True, check=True, timeout=60,
                                   env={"FLEETBENCH_STANDIN_STATE": str(state), "PATH": "/usr/bin:/bin"})
    return completed.stdout
