"""Handing generated token ids back to LoadGen: int32 ids, exact `n_tokens`."""
from __future__ import annotations

import array

import mlperf_loadgen as lg

from fleetbench_harness.status import Progress

assert array.array("i").itemsize == 4, "LoadGen's accuracy log is decoded as int32"


def first_token(sample_id: int, token_ids) -> None:
    ids = array.array("i", token_ids)
    address, count = ids.buffer_info()
    lg.FirstTokenComplete([lg.QuerySampleResponse(sample_id, address, count * ids.itemsize)])


def sample_complete(sample_id: int, token_ids, progress: Progress) -> None:
    # LoadGen copies the bytes (accuracy log) before QuerySamplesComplete returns, so the
    # array may be freed afterwards.
    ids = array.array("i", token_ids)
    address, count = ids.buffer_info()
    lg.QuerySamplesComplete([lg.QuerySampleResponse(sample_id, address, count * ids.itemsize, count)])
    progress.completed(count)
