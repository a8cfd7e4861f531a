"""Server, Interactive and SingleStream SUT: one long-lived AsyncLLM on one event loop thread.
Each sample streams: FirstTokenComplete at its first token, QuerySamplesComplete at its end."""
from __future__ import annotations

import asyncio
import pathlib
import threading
from typing import Callable

from fleetbench_harness.dataset import Dataset
from fleetbench_harness.engine import async_engine, one_line
from fleetbench_harness.errors import EngineFailure, HarnessError
from fleetbench_harness.responses import first_token, sample_complete
from fleetbench_harness.status import Progress


class StreamingSUT:
    def __init__(self, vllm_config, dataset: Dataset, params, progress: Progress,
                 on_fatal: Callable[[HarnessError], None], disable_log_stats: bool = True,
                 log_path: pathlib.Path | None = None, report_first_token: bool = True) -> None:
        self.dataset = dataset
        self.report_first_token = report_first_token
        self.params = params
        self.progress = progress
        self.on_fatal = on_fatal
        self._tasks: set[asyncio.Task] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fleetbench-engine-loop",
                                        daemon=True)
        self._thread.start()
        # AsyncLLM binds its output handler to the loop it is used from: build it there.
        self.engine = self._call(self._build(vllm_config, disable_log_stats, log_path))

    async def _build(self, vllm_config, disable_log_stats: bool, log_path: pathlib.Path | None):
        return async_engine(vllm_config, disable_log_stats, log_path)

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def start(self) -> None:
        """The engine and its loop are already running."""

    def warm_up(self, samples: int = 2) -> None:
        async def generate_all():
            await asyncio.gather(*(self._generate(f"warmup-{i}", i) for i in range(min(samples, len(self.dataset)))))
        self._call(generate_all())

    # LoadGen callbacks (LoadGen's threads)
    def issue_queries(self, query_samples) -> None:
        self.progress.issued(len(query_samples))
        for sample in query_samples:
            self._loop.call_soon_threadsafe(self._start_sample, sample.id, sample.index)

    def flush_queries(self) -> None:
        """Samples are streamed as they come; nothing is held back."""

    def stop(self) -> None:
        self.engine.shutdown()
        # Dropped now, not at interpreter exit, where AsyncLLM.__del__ fails on torn-down modules.
        self.engine = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()

    # event loop thread
    def _start_sample(self, sample_id: int, index: int) -> None:
        task = self._loop.create_task(self._serve(sample_id, index))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, sample_id: int, index: int) -> None:
        try:
            token_ids = await self._generate(str(sample_id), index, sample_id)
        except Exception as error:  # the engine died: LoadGen would wait for ever
            self.on_fatal(EngineFailure(f"vLLM failed during the run: {one_line(error)}"))
            return
        sample_complete(sample_id, token_ids, self.progress)

    async def _generate(self, request_id: str, index: int, sample_id: int | None = None) -> list[int]:
        from vllm.inputs import TokensPrompt

        prompt = TokensPrompt(prompt_token_ids=self.dataset.token_ids[index])
        token_ids: list[int] = []
        async for output in self.engine.generate(prompt, self.params, request_id):
            new_ids = output.outputs[0].token_ids
            if self.report_first_token and sample_id is not None and not token_ids and new_ids:
                first_token(sample_id, new_ids)
            token_ids.extend(new_ids)
        return token_ids
