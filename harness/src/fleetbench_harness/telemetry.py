"""The telemetry timeline of a run's measured phase: telemetry.json in the run folder.

A daemon thread samples the host (telemetry_host) and the GPUs (telemetry_gpu) every
`interval_s` while LoadGen measures, and writes the timeline when the phase ends. The format is
the contract in docs/contract/telemetry.md (schema: telemetry.schema.json). The sampler's own CPU
time is recorded, so a reader can check that watching did not cost what it watched.
"""
from __future__ import annotations

import datetime
import logging
import os
import pathlib
import threading
import time

from fleetbench_harness.status import write_json_atomically
from fleetbench_harness.telemetry_gpu import open_gpu_reader
from fleetbench_harness.telemetry_host import HostReader

log = logging.getLogger("fleetbench_harness")
TELEMETRY_FILE = "telemetry.json"
TELEMETRY_SCHEMA_VERSION = 1
DEFAULT_INTERVAL_S = 1.0


def _utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TelemetrySampler:
    """Use as a context manager around the measured phase; interval 0 turns it off."""

    def __init__(self, output: pathlib.Path, interval_s: float = DEFAULT_INTERVAL_S,
                 host: HostReader | None = None, gpu_reader_factory=open_gpu_reader) -> None:
        self.output = output
        self.interval_s = interval_s
        self.host = host
        self.gpu_reader_factory = gpu_reader_factory
        self.samples: list[dict] = []
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.document: dict = {}

    def __enter__(self) -> TelemetrySampler:
        if self.interval_s > 0:
            self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.thread is not None:
            self.stop()

    def start(self) -> None:
        self.host = self.host or HostReader()
        self.gpu, gpu_source = self.gpu_reader_factory(self.interval_s)
        self.energy_start = self.gpu.energy_mj() if self.gpu else []
        self.document = {"schema_version": TELEMETRY_SCHEMA_VERSION, "interval_s": self.interval_s,
                         "started_at": _utc_now(), "sources": {"gpu": gpu_source, **self.host.describe()},
                         "cpu_count": os.cpu_count()}
        self.started = time.monotonic()
        self.cpu_time_start = time.thread_time()
        self.thread = threading.Thread(target=self._loop, name="telemetry", daemon=True)
        self.thread.start()

    def stop(self) -> dict:
        self.stopping.set()
        self.thread.join(timeout=self.interval_s + 10)
        self._take_sample()  # the end of the phase, whatever the interval left
        energy_end = self.gpu.energy_mj() if self.gpu else []
        if self.gpu:
            self.gpu.close()
        self.document.update({
            "finished_at": _utc_now(),
            "duration_s": round(time.monotonic() - self.started, 3),
            "sampler_cpu_s": round(self.sampler_cpu_s, 4),
            "energy_mj": {"start": self.energy_start, "end": energy_end},
            "samples": self.samples,
        })
        write_json_atomically(self.output / TELEMETRY_FILE, self.document)
        self.thread = None
        return self.document

    def _loop(self) -> None:
        self.sampler_cpu_s = 0.0
        next_at = time.monotonic()
        while not self.stopping.is_set():
            self._take_sample()
            next_at += self.interval_s
            self.stopping.wait(max(0.0, next_at - time.monotonic()))

    def _take_sample(self) -> None:
        before = time.thread_time()
        try:
            sample = {"t": round(time.monotonic() - self.started, 3), "host": self.host.sample()}
            if self.gpu:
                sample["gpus"] = self.gpu.sample()
            self.samples.append(sample)
        except Exception as error:  # noqa: BLE001 - a telemetry fault must never stop the benchmark
            log.warning("telemetry sample failed: %s", error)
        self.sampler_cpu_s = getattr(self, "sampler_cpu_s", 0.0) + time.thread_time() - before
