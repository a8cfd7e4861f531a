# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Words and files the controller makes from a harness run's state: progress lines, the
one-line cause of a failure, the snapshot kept on the controller while it runs, and the record
of how it ended."""
from __future__ import annotations

import json
import os
import signal

from ansible_collections.fleetbench.llm.plugins.module_utils.atomic_file import write_atomically

# docs/contract/README.md, "Exit codes".
EXIT_MEANINGS = {1: "harness error", 2: "bad input", 3: "engine failure", 4: "LoadGen failure"}
PARTIAL_STATUS = "fleetbench_status.json"
PARTIAL_LOG = "harness.log.tail"
PARTIAL_STDERR = "stderr.log.tail"
# What the controller paid for the run and how it ended, written beside its files.
COST_FILE = "fleetbench_controller.json"


def progress_key(status: dict | None) -> tuple:
    """What has to change for a new progress line to be worth printing."""
    status = status or {}
    return status.get("phase"), status.get("samples_issued"), status.get("samples_completed")


def progress_line(status: dict | None) -> str:
    if not status:
        return "starting (no status file yet)"
    phase = status.get("phase", "?")
    line = f"{phase}, {status.get('samples_completed', 0)}/{status.get('samples_issued', 0)} samples"
    if status.get("tokens_per_second"):
        line += f", {status['tokens_per_second']:.0f} tok/s"
    return line + f", {status.get('elapsed_s', 0):.0f} s"


def describe_failure(outcome: str, polled: dict, timeout: int) -> str:
    """One line: what happened and the harness's own last word on it."""
    status = polled.get("status") or {}
    exit_code = polled.get("exit_code")
    if outcome == "timeout":
        return f"timed out after {timeout} s in phase {status.get('phase', 'unknown')}; process group stopped"
    if exit_code is None:
        return f"harness vanished without an exit code in phase {status.get('phase', 'unknown')}"
    if exit_code > 128:
        return f"harness killed by {_signal_name(exit_code - 128)} in phase {status.get('phase', 'unknown')}"
    cause = status.get("error") or _last_line(polled.get("stderr_tail", "")) or "no message"
    return f"harness exit {exit_code} ({EXIT_MEANINGS.get(exit_code, 'unexpected')}): {cause}"


def save_progress(folder: str, polled: dict) -> None:
    """Keep the latest status and log tails on the controller; the full logs replace them
    once the run ends and is fetched."""
    os.makedirs(folder, exist_ok=True)
    if polled.get("status") is not None:
        write_atomically(os.path.join(folder, PARTIAL_STATUS), json.dumps(polled["status"], indent=2, sort_keys=True))
    if polled.get("log_tail"):
        write_atomically(os.path.join(folder, PARTIAL_LOG), polled["log_tail"])
    if polled.get("stderr_tail"):
        write_atomically(os.path.join(folder, PARTIAL_STDERR), polled["stderr_tail"])


def measured_before(folder: str | None) -> dict | None:
    """What the controller recorded of a run this folder already holds measured and brought back
    (outcome done), else None: a run that failed, timed out, or whose files stayed on the host
    is measured again."""
    if not folder:
        return None
    try:
        with open(os.path.join(folder, COST_FILE), encoding="utf-8") as handle:
            recorded = json.load(handle)
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) and recorded.get("outcome") == "done" else None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
