"""LoadGen's query sample library over an in-memory dataset."""
from __future__ import annotations

import mlperf_loadgen as lg


def _nothing_to_load(_sample_indices) -> None:
    """The whole pre-tokenised dataset is already in memory."""


def construct_qsl(total_samples: int, performance_samples: int):
    return lg.ConstructQSL(total_samples, performance_samples, _nothing_to_load, _nothing_to_load)
