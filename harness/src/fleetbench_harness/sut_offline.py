"""Offline SUT: every sample LoadGen issues goes straight into one vLLM engine, which batches
continuously; each sample is reported the moment it finishes."""
from __future__ import annotations

import queue
import threading
from typing import Callable

from fleetbench_harness.dataset import Dataset
from fleetbench_harness.errors import EngineFailure, HarnessError
from fleetbench_harness.engine import one_line
from fleetbench_harness.responses import sample_complete
from fleetbench_harness.status import Progress

_STOP = None


class OfflineSUT:
    def __init__(self, engine, dataset: Dataset, params, progress: Progress,
                 on_fatal: Callable[[HarnessError], None]) -> None:
        self.engine = engine
        self.dataset = dataset
        self.params = params
        self.progress = progress
        self.on_fatal = on_fatal
        self._queue: queue.Queue = queue.Queue()
        self._requests: dict[str, int] = {}
        self._worker = threading.Thread(target=self._drive, name="fleetbench-offline", daemon=True)

    def start(self) -> None:
        self._worker.start()

    def warm_up(self, samples: int = 2) -> None:
        """A few generations before timing starts, so first-call set-up is not measured."""
        for index in range(min(samples, len(self.dataset))):
            self._add(f"warmup-{index}", index)
        while self.engine.has_unfinished_requests():
            self.engine.step()

    # LoadGen callbacks (LoadGen's threads)
    def issue_queries(self, query_samples) -> None:
        self.progress.issued(len(query_samples))
        self._queue.put([(sample.id, sample.index) for sample in query_samples])

    def flush_queries(self) -> None:
        """Nothing is held back: every issued sample is already in the engine."""

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._worker.join()
        self.engine.engine_core.shutdown()

    # engine thread
    def _drive(self) -> None:
        try:
            while self._take_new_queries():
                for output in self.engine.step():
                    if output.finished:
                        sample_id = self._requests.pop(output.request_id)
                        sample_complete(sample_id, output.outputs[0].token_ids, self.progress)
        except Exception as error:  # the engine died: LoadGen would wait for ever
            self.on_fatal(EngineFailure(f"vLLM failed during the Offline run: {one_line(error)}"))

    def _take_new_queries(self) -> bool:
        """Add what LoadGen issued; block only when the engine is idle. False on stop."""
        block = not self.engine.has_unfinished_requests()
        while True:
            try:
                batch = self._queue.get(block=block)
            except queue.Empty:
                return True
            if batch is _STOP:
                return False
            for sample_id, index in batch:
                self._add(str(sample_id), index, sample_id)
            block = False

    def _add(self, request_id: str, index: int, sample_id: int | None = None) -> None:
        from vllm.inputs import TokensPrompt

        self.engine.add_request(request_id, TokensPrompt(prompt_token_ids=self.dataset.token_ids[index]),
                                self.params)
        if sample_id is not None:
            self._requests[request_id] = sample_id
