"""The few LoadGen numbers the benchmark compares, read with the collection's detail-log reader
(one parser for LoadGen logs in the whole project)."""
from __future__ import annotations

import dataclasses
import pathlib

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.detail_log import (
    DETAIL_LOG, read_detail_log)

_NS_PER_MS = 1e6


@dataclasses.dataclass(frozen=True)
class LoadGenOutcome:
    scenario: str
    validity: str  # VALID / INVALID as LoadGen says
    tokens_per_second: float  # Offline: result_tokens_per_second; Server: completed tokens/s
    samples_per_second: float
    latency_constraints_met: bool | None  # Server: p99 TTFT and TPOT within the limits
    ttft_p99_ms: float | None
    tpot_p99_ms: float | None
    samples: int | None
    errors: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return self.validity == "VALID"


class OutcomeMissing(Exception):
    """The run left no usable LoadGen detail log."""


def read_outcome(output_dir: pathlib.Path) -> LoadGenOutcome:
    path = output_dir / DETAIL_LOG
    if not path.is_file():
        raise OutcomeMissing(f"{path}: no LoadGen detail log (the run did not reach LoadGen's end)")
    log = read_detail_log(str(path))
    values = log.values
    scenario = str(values.get("effective_scenario", ""))
    if "result_validity" not in values:
        raise OutcomeMissing(f"{path}: LoadGen wrote no result (run cut short?)")
    if scenario == "Offline":
        tokens = values.get("result_tokens_per_second")
        samples = values.get("result_samples_per_second")
    else:
        tokens = values.get("result_completed_tokens_per_second")
        samples = values.get("result_completed_samples_per_sec")
    return LoadGenOutcome(
        scenario=scenario,
        validity=str(values["result_validity"]),
        tokens_per_second=float(tokens or 0.0),
        samples_per_second=float(samples or 0.0),
        latency_constraints_met=values.get("result_perf_constraints_met") if scenario != "Offline" else None,
        ttft_p99_ms=_ms(values.get("result_first_token_99.00_percentile_latency_ns")),
        tpot_p99_ms=_ms(values.get("result_time_per_output_token_99.00_percentile_ns")),
        samples=_samples_issued(values),
        errors=tuple(log.errors),
    )


def _ms(value) -> float | None:
    return None if value is None else round(float(value) / _NS_PER_MS, 2)


def _samples_issued(values: dict) -> int | None:
    count = values.get("generated_samples_per_query")
    queries = values.get("generated_query_count")
    if count is None or queries is None:
        return None
    return int(count) * int(queries)
