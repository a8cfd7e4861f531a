"""vLLM engine arguments from `--engine-arg KEY=VALUE`, checked against vLLM's EngineArgs."""
from __future__ import annotations

import dataclasses
import json

from fleetbench_harness.errors import BadInput

# The harness's defaults; any of them can be overridden by --engine-arg. vLLM's V1 engine caches
# prefixes by default, which reuses work across queries: the MLPerf rules forbid that (FACTS.md),
# so it is off unless asked for, and a run with it on is never called compliant.
DEFAULT_ENGINE_ARGS = {"disable_log_stats": True, "enable_prefix_caching": False}
# Set by the harness itself from --model; passing them as engine args would be ambiguous.
RESERVED = frozenset({"model", "tokenizer", "skip_tokenizer_init"})


def parse_value(text: str):
    """JSON for numbers, booleans, null, lists and objects; Python spellings of True/False/None;
    anything else stays a string (e.g. dtype=bfloat16)."""
    python_literals = {"True": True, "False": False, "None": None}
    if text in python_literals:
        return python_literals[text]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def engine_arg_names() -> frozenset[str]:
    from vllm.engine.arg_utils import AsyncEngineArgs

    return frozenset(field.name for field in dataclasses.fields(AsyncEngineArgs))


def engine_kwargs(raw: dict[str, str], known: frozenset[str]) -> dict:
    """User engine args over the harness defaults; unknown or reserved names are bad input."""
    unknown = sorted(set(raw) - known)
    if unknown:
        raise BadInput(f"unknown vLLM engine argument(s): {', '.join(unknown)}")
    reserved = sorted(set(raw) & RESERVED)
    if reserved:
        raise BadInput(f"engine argument(s) {', '.join(reserved)} are set from --model")
    kwargs = dict(DEFAULT_ENGINE_ARGS)
    kwargs.update({key: parse_value(value) for key, value in raw.items()})
    return kwargs
