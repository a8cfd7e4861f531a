"""Building vLLM engines: a synchronous LLMEngine for Offline, an AsyncLLM for streaming scenarios.

Configuration problems (impossible tensor parallel size, unknown dtype...) are bad input;
anything after the configuration is accepted is an engine failure."""
from __future__ import annotations

import pathlib

from fleetbench_harness.errors import BadInput, EngineFailure

MAX_OUTPUT_TOKENS = 128  # MLPerf Llama-3.1-8B: greedy, at most 128 new tokens
MIN_OUTPUT_TOKENS = 2  # LoadGen flags n_tokens of 0 or 1 as errors in token-latency scenarios


def sampling_params(max_tokens: int, streaming: bool):
    from vllm import SamplingParams
    from vllm.sampling_params import RequestOutputKind

    kind = RequestOutputKind.DELTA if streaming else RequestOutputKind.FINAL_ONLY
    return SamplingParams(temperature=0.0, max_tokens=max_tokens,
                          min_tokens=min(MIN_OUTPUT_TOKENS, max_tokens), output_kind=kind)


def engine_config(model: pathlib.Path, kwargs: dict):
    from vllm.engine.arg_utils import AsyncEngineArgs

    try:
        return AsyncEngineArgs(model=str(model), **kwargs).create_engine_config()
    except (ValueError, TypeError) as err:  # pydantic's ValidationError is a ValueError
        raise BadInput(f"vLLM rejected the engine arguments for {model}: {one_line(err)}") from None


def offline_engine(vllm_config):
    from vllm.v1.engine.llm_engine import LLMEngine

    with _engine_failures():
        return LLMEngine.from_vllm_config(vllm_config, disable_log_stats=True)


def async_engine(vllm_config, disable_log_stats: bool):
    from vllm.v1.engine.async_llm import AsyncLLM

    with _engine_failures():
        return AsyncLLM.from_vllm_config(vllm_config, disable_log_stats=disable_log_stats)


class _engine_failures:
    """Turn whatever vLLM raises while starting into one EngineFailure line."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _tb):
        if error is None or isinstance(error, (KeyboardInterrupt, SystemExit)):
            return False
        if isinstance(error, MemoryError) or "out of memory" in str(error).lower():
            raise EngineFailure(f"vLLM ran out of memory while starting: {one_line(error)}") from error
        raise EngineFailure(f"vLLM could not start the engine: {one_line(error)}") from error


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
