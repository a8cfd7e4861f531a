"""Server capacity search: the highest target QPS a host holds within the TTFT/TPOT limits.

LoadGen keeps state between tests (FACTS.md), so every probe is its own `fleetbench-harness run`
child process, into `<output>/probes/NN-<qps>qps/`, with a short min_duration: probes are
labelled short and never compliant. The search brackets (doubling or halving from the start
QPS), bisects (search_plan), then runs the full-length confirm run at the highest QPS that held
into `<output>` itself, so the folder is an ordinary Server run; a confirm LoadGen judges
INVALID is retried a step lower while tries remain. Every probe and confirm run is recorded in
`fleetbench_server_search.json` (docs/contract/server_search.schema.json)."""
from __future__ import annotations

import dataclasses
import datetime
import pathlib
import subprocess
import sys
import time

from fleetbench_harness.console import LOG_FILE
from fleetbench_harness.errors import BadInput, HarnessError
from fleetbench_harness.probe_result import read_probe
from fleetbench_harness.search_plan import DEFAULT_TOLERANCE, bracket, confirm_targets, next_qps
from fleetbench_harness.status import Progress, StatusFile, write_json_atomically

SEARCH_FILE = "fleetbench_server_search.json"
PROBES_DIR = "probes"
SEARCH_SCENARIOS = ("Server", "Interactive")
# Probe length by profile: (min_duration ms, min_query_count or None for the profile's own).
PROBE_DEFAULTS = {"official": (60000, None), "quick": (2000, 100)}
DEFAULT_START_QPS = {"official": 1.0, "quick": 4.0}


@dataclasses.dataclass
class SearchConfig:
    child_args: list[str]  # `run` arguments shared by every child, without --output and target_qps
    output: pathlib.Path
    profile: str
    start_qps: float
    max_probes: int = 6
    confirm_tries: int = 2
    probe_min_duration_ms: int = 60000
    probe_min_query_count: int | None = None
    tolerance: float = DEFAULT_TOLERANCE
    offline_samples_per_second: float | None = None

    def check(self) -> None:
        if not self.start_qps > 0:
            raise BadInput("--search-start-qps must be above 0")
        if self.max_probes < 1:
            raise BadInput("--search-probes must be at least 1")
        if self.confirm_tries < 1:
            raise BadInput("--search-confirm-tries must be at least 1")
        if self.probe_min_duration_ms < 0 or (self.probe_min_query_count is not None and self.probe_min_query_count < 1):
            raise BadInput("--search-probe-duration must be 0 or more and --search-probe-queries at least 1")


def run_search(config: SearchConfig, console=sys.stderr) -> int:
    """Probe, confirm, record. Returns the exit code of the last child (0: the confirm run
    finished, VALID or not); a child that fails (bad input, engine, LoadGen) ends the search."""
    config.check()
    config.output.mkdir(parents=True, exist_ok=True)
    status = StatusFile(config.output, Progress())
    status.start()
    status.set_phase("running")
    record = _record(config)
    history: list[tuple[float, bool]] = []
    qps: float | None = config.start_qps
    while qps is not None and len(history) < config.max_probes:
        index = len(history) + 1
        folder = config.output / PROBES_DIR / f"{index:02d}-{qps:g}qps"
        code, entry = _child(config, folder, qps, probe=True)
        entry.update({"index": index, "folder": str(folder.relative_to(config.output))})
        record["probes"].append(entry)
        _write(config.output, record)
        if code != 0:
            cause = f"probe {index} at {qps:g} QPS failed: {entry['error']}"
            status.finish(code, cause)
            _say(config.output, console, cause)
            return code
        _say(config.output, console, f"probe {index} at {qps:g} QPS: {_verdict(entry)}")
        history.append((qps, entry["within_limits"]))
        qps = next_qps(history, config.tolerance)
    record["highest_held_qps"], record["lowest_failed_qps"] = bracket(history)
    record["stopped"] = "bracket within tolerance" if qps is None else f"probe budget ({config.max_probes}) spent"
    status.stop()
    code = 0
    for qps in confirm_targets(history, config.confirm_tries):
        code, entry = _child(config, config.output, qps, probe=False)
        record["confirm_runs"].append(entry)
        _say(config.output, console, f"confirm run at {qps:g} QPS: {_verdict(entry)}")
        if code != 0 or entry["valid"]:
            break
    _finish(record)
    _write(config.output, record)
    return code


def _record(config: SearchConfig) -> dict:
    return {
        "started": _now(),
        "profile": config.profile,
        "start_qps": config.start_qps,
        "offline_samples_per_second": config.offline_samples_per_second,
        "max_probes": config.max_probes,
        "tolerance": config.tolerance,
        "probe_settings": {"min_duration_ms": config.probe_min_duration_ms,
                           "min_query_count": config.probe_min_query_count,
                           "label": "short probes: judged on p99 TTFT/TPOT against the limits, never compliant"},
        "probes": [],
        "confirm_runs": [],
        "highest_held_qps": None,
        "lowest_failed_qps": None,
        "stopped": None,
        "highest_valid_qps": None,
        "confirmed": False,
        "finished": None,
    }


def _child(config: SearchConfig, folder: pathlib.Path, qps: float, probe: bool) -> tuple[int, dict]:
    settings = [f"target_qps={qps:.10g}"]
    if probe:
        settings.append(f"min_duration={config.probe_min_duration_ms}")
        if config.probe_min_query_count is not None:
            settings.append(f"min_query_count={config.probe_min_query_count}")
    command = [sys.executable, "-m", "fleetbench_harness", "run", *config.child_args, "--output", str(folder)]
    for setting in settings:
        command += ["--loadgen-setting", setting]
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, errors="replace", check=False)
    except OSError as err:
        raise HarnessError(f"cannot start a search run: {err.strerror}") from None
    entry = {"kind": "probe" if probe else "confirm", "qps": qps, **read_probe(folder),
             "wall_s": round(time.monotonic() - started, 3), "exit_code": done.returncode}
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        entry["error"] = (lines[-1] if lines else f"exit {done.returncode}").removeprefix("fleetbench-harness: ")
    return done.returncode, entry


def _finish(record: dict) -> None:
    valid = [run for run in record["confirm_runs"] if run["valid"] and run["exit_code"] == 0]
    record["confirmed"] = bool(valid)
    record["highest_valid_qps"] = valid[-1]["qps"] if valid else None
    record["finished"] = _now()


def _verdict(entry: dict) -> str:
    if entry["exit_code"] != 0:
        return f"failed ({entry.get('error')})"
    held = "within" if entry["within_limits"] else "beyond"
    loadgen = {True: "VALID", False: "INVALID", None: "no verdict"}[entry["valid"]]
    return (f"p99 TTFT {_ms(entry['ttft_p99_ns'])} / TPOT {_ms(entry['tpot_p99_ns'])} {held} the limits "
            f"({_ms(entry['ttft_limit_ns'])} / {_ms(entry['tpot_limit_ns'])}), LoadGen {loadgen}")


def _say(output: pathlib.Path, console, line: str) -> None:
    """A search step, on the terminal and in the run's harness.log (the confirm run appends to it)."""
    print(f"fleetbench-harness: {line}", file=console, flush=True)
    with (output / LOG_FILE).open("a", encoding="utf-8") as log:
        log.write(f"{_now()} server search: {line}\n")


def _ms(value) -> str:
    return "?" if not isinstance(value, (int, float)) else f"{value / 1e6:.0f} ms"


def _write(output: pathlib.Path, record: dict) -> None:
    write_json_atomically(output / SEARCH_FILE, record)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
