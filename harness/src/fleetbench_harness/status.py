"""The status file (`fleetbench_status.json`) the collection polls while a run goes."""
from __future__ import annotations

import datetime
import json
import os
import pathlib
import threading
import time

STATUS_FILE = "fleetbench_status.json"
PHASES = ("starting", "loading_model", "loading_dataset", "warmup", "waiting", "running", "scoring", "done", "failed")


def write_json_atomically(path: pathlib.Path, data: dict) -> None:
    """Readers never see a half-written file: write a sibling, then rename over."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class Progress:
    """Counters the SUTs bump from LoadGen and engine threads (int updates are atomic under the GIL)."""

    def __init__(self) -> None:
        self.samples_issued = 0
        self.samples_completed = 0
        self.tokens_generated = 0
        self.running_since: float | None = None
        self.last_completed_at: float | None = None

    def issued(self, count: int) -> None:
        if self.running_since is None:
            self.running_since = time.monotonic()
        self.samples_issued += count

    def completed(self, n_tokens: int) -> None:
        self.samples_completed += 1
        self.tokens_generated += n_tokens
        self.last_completed_at = time.monotonic()

    def tokens_per_second(self) -> float:
        """Generated tokens over the time from the first issue to the latest completion."""
        if self.running_since is None or self.last_completed_at is None:
            return 0.0
        elapsed = self.last_completed_at - self.running_since
        return round(self.tokens_generated / elapsed, 3) if elapsed > 0 else 0.0


class StatusFile:
    """Owns `fleetbench_status.json`: phase changes are written at once, counters every interval."""

    def __init__(self, output_dir: pathlib.Path, progress: Progress, interval_s: float = 1.0) -> None:
        self.path = output_dir / STATUS_FILE
        self.progress = progress
        self.interval_s = interval_s
        self.phase = "starting"
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresh, name="fleetbench-status", daemon=True)

    def start(self) -> None:
        self.write()
        self._thread.start()

    def set_phase(self, phase: str) -> None:
        assert phase in PHASES, phase
        self.phase = phase
        self.write()

    def stop(self) -> None:
        """Stop refreshing without a last word: another process takes the file over."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def finish(self, exit_code: int = 0, error: str | None = None) -> None:
        self.stop()
        self.phase = "done" if exit_code == 0 else "failed"
        self.write(exit_code=exit_code, error=error)

    def write(self, exit_code: int | None = None, error: str | None = None) -> None:
        data = {
            "phase": self.phase,
            "samples_issued": self.progress.samples_issued,
            "samples_completed": self.progress.samples_completed,
            "tokens_generated": self.progress.tokens_generated,
            "elapsed_s": round(time.monotonic() - self.started, 3),
            "tokens_per_second": self.progress.tokens_per_second(),
            "pid": os.getpid(),
            "updated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
        if exit_code is not None and exit_code != 0:
            data["exit_code"] = exit_code
            data["error"] = error or "unknown failure"
        with self._lock:
            write_json_atomically(self.path, data)

    def _refresh(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.write()
