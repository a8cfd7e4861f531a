"""Failures the harness reports as one line and an exit code (docs/contract/README.md)."""
from __future__ import annotations


class HarnessError(Exception):
    """A failure with a one-line cause; `exit_code` follows the contract."""

    exit_code = 1


class BadInput(HarnessError):
    """Arguments, model, dataset, checksum or tokenizer are wrong."""

    exit_code = 2


class EngineFailure(HarnessError):
    """vLLM could not load the model, ran out of memory or died."""

    exit_code = 3


class LoadGenFailure(HarnessError):
    """LoadGen could not be configured or did not finish its test."""

    exit_code = 4
