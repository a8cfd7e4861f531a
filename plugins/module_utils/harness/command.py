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
    if params.get("server_search") is not None:
        command += server_search_options(params["server_search"])
    for key, value in sorted((params.get("loadgen_settings") or {}).items()):
        command += ["--loadgen-setting", f"{key}={_text(value)}"]
    for key, value in sorted((params.get("engine_args") or {}).items()):
        command += ["--engine-arg", f"{key}={_text(value)}"]
    return command


# server_search keys -> the harness's --search-* options (docs/contract/README.md).
SEARCH_OPTIONS = {
    "start_qps": "--search-start-qps",
    "probes": "--search-probes",
    "confirm_tries": "--search-confirm-tries",
    "probe_duration": "--search-probe-duration",
    "probe_queries": "--search-probe-queries",
    "offline_samples_per_second": "--offline-samples-per-second",
}


class HarnessCommandError(ValueError):
    """An option the harness command cannot be built from; the message is one line."""


def server_search_options(search: dict) -> list[str]:
    """`--server-search` and its options; a key the search does not know is refused by name."""
    unknown = sorted(set(search) - set(SEARCH_OPTIONS))
    if unknown:
        raise HarnessCommandError(f"server_search: unknown key(s) {', '.join(map(str, unknown))}; "
                                  f"known: {', '.join(SEARCH_OPTIONS)}")
    options = ["--server-search"]
    for key, flag in SEARCH_OPTIONS.items():
        value = search.get(key)
        if value is not None and str(value).strip() != "":
            options += [flag, str(value)]
    return options


def _text(value: object) -> str:
    # YAML booleans arrive as Python bools; the harness parses the lower-case words.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
