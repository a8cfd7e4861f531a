"""Everything one benchmark run needs, as the CLI or a Python caller gives it."""
from __future__ import annotations

import dataclasses
import pathlib

from fleetbench_harness.engine import MAX_OUTPUT_TOKENS
from fleetbench_harness.errors import BadInput
from fleetbench_harness.profiles import PROFILES
from fleetbench_harness.scenarios import MODES, SCENARIOS
from fleetbench_harness.telemetry import DEFAULT_INTERVAL_S


@dataclasses.dataclass
class RunConfig:
    scenario: str
    mode: str
    model: pathlib.Path
    dataset: pathlib.Path
    output: pathlib.Path
    profile: str = "official"
    user_conf: pathlib.Path | None = None
    loadgen_settings: dict[str, str] = dataclasses.field(default_factory=dict)
    engine_args: dict[str, str] = dataclasses.field(default_factory=dict)
    dataset_sha256: str | None = None
    total_sample_count: int | None = None
    max_output_tokens: int = MAX_OUTPUT_TOKENS
    warmup_samples: int = 2
    telemetry_interval_s: float = DEFAULT_INTERVAL_S
    model_derivative: str | None = None  # e.g. "FP8 quantization of the reference": a claim the report shows
    start_at: float | None = None  # UTC epoch seconds: LoadGen's measurement starts then (fleet start barrier)

    def check(self) -> None:
        if self.scenario not in SCENARIOS:
            raise BadInput(f"scenario {self.scenario!r} is not one of {', '.join(SCENARIOS)}")
        if self.mode not in MODES:
            raise BadInput(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.profile not in PROFILES:
            raise BadInput(f"profile {self.profile!r} is not one of {', '.join(PROFILES)}")
        if self.max_output_tokens < 1:
            raise BadInput("max output tokens must be at least 1")
        if not 0 <= self.telemetry_interval_s <= 3600:
            raise BadInput("the telemetry interval must be 0 (off) to 3600 seconds")
        if self.total_sample_count is not None and self.total_sample_count < 1:
            raise BadInput("total sample count must be at least 1")
