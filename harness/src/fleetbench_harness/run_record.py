"""`fleetbench_run.json`: what was asked, what LoadGen was set to, and what it ran on."""
from __future__ import annotations

import pathlib

from fleetbench_harness import __version__
from fleetbench_harness.dataset import Dataset
from fleetbench_harness.fingerprint import fingerprint
from fleetbench_harness.model_identity import model_record
from fleetbench_harness.run_config import RunConfig
from fleetbench_harness.scenarios import Scenario
from fleetbench_harness.status import write_json_atomically

RUN_FILE = "fleetbench_run.json"


def run_record(config: RunConfig, scenario: Scenario, dataset: Dataset, loadgen_overrides: dict,
               loadgen_settings: dict, engine_args: dict, compliant: bool) -> dict:
    return {
        "harness_version": __version__,
        "scenario": scenario.name,
        "loadgen_scenario": scenario.loadgen_scenario,
        "model_key": scenario.model_key,
        "mode": config.mode,
        "profile": config.profile,
        "compliant": compliant,
        "loadgen_overrides": loadgen_overrides,
        "loadgen_settings": loadgen_settings,
        "engine_args": engine_args,
        "max_output_tokens": config.max_output_tokens,
        "model": model_record(config.model, config.model_derivative),
        "dataset": {"path": str(dataset.path), "sha256": dataset.sha256, "samples": len(dataset),
                    "inputs_sha256": dataset.inputs_sha256},
        "fingerprint": fingerprint(),
    }


def write_run_record(output: pathlib.Path, record: dict) -> None:
    write_json_atomically(output / RUN_FILE, record)
