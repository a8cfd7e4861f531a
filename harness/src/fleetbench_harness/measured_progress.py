"""Cumulative completed samples and generated tokens, sampled while LoadGen measures.

The report uses these to compute a host's throughput over any part of its measured window: in a
fleet run, the part every host was measuring at once."""
from __future__ import annotations

import threading
import time

from fleetbench_harness.status import Progress

DEFAULT_INTERVAL_S = 1.0


class ProgressTimeline:
    """`points`: [seconds since the measured start, samples completed, tokens generated], counted
    from the measured start; the first point is at 0 and the last at the end of the test."""

    def __init__(self, progress: Progress, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self.progress = progress
        self.interval_s = interval_s
        self.points: list[list[float]] = []
        self.started = 0.0
        self._base = (0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, name="fleetbench-timeline", daemon=True)

    def __enter__(self) -> ProgressTimeline:
        self.started = time.time()
        self._base = (self.progress.samples_completed, self.progress.tokens_generated)
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        self.points.append([round(time.time() - self.started, 3), self.progress.samples_completed - self._base[0],
                            self.progress.tokens_generated - self._base[1]])

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()
