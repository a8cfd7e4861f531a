# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `fleetbench-harness run` command line for one run (docs/contract/README.md)."""
from __future__ import annotations


def harness_command(params: dict) -> list[str]:
    command = [
        params["harness"], "run",
        "--scenario", params["scenario"],
        "--mode", params["mode"],
        "--model", params["model"],
        "--dataset", params["dataset"],
        "--output", params["output"],
        "--profile", params["profile"],
    ]
    if params.get("dataset_sha256"):
        command += ["--dataset-sha256", params["dataset_sha256"]]
    if params.get("total_sample_count"):
        command += ["--total-sample-count", str(params["total_sample_count"])]
    if params.get("start_at"):
        command += ["--start-at", str(params["start_at"])]
    for key, value in sorted((params.get("loadgen_settings") or {}).items()):
        command += ["--loadgen-setting", f"{key}={_text(value)}"]
    for key, value in sorted((params.get("engine_args") or {}).items()):
        command += ["--engine-arg", f"{key}={_text(value)}"]
    return command


def _text(value: object) -> str:
    # YAML booleans arrive as Python bools; the harness parses the lower-case words.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
