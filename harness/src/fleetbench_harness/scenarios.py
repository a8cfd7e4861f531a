"""What each scenario the harness accepts means to LoadGen."""
from __future__ import annotations

import dataclasses

MODEL_KEY = "llama3_1-8b"
INTERACTIVE_MODEL_KEY = "llama3_1-8b-interactive"


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str  # as asked: Offline, Server, Interactive, SingleStream
    loadgen_scenario: str  # Offline, Server, SingleStream
    model_key: str
    streaming: bool  # reports FirstTokenComplete per sample


SCENARIOS = {
    "Offline": Scenario("Offline", "Offline", MODEL_KEY, streaming=False),
    "Server": Scenario("Server", "Server", MODEL_KEY, streaming=True),
    "Interactive": Scenario("Interactive", "Server", INTERACTIVE_MODEL_KEY, streaming=True),
    "SingleStream": Scenario("SingleStream", "SingleStream", MODEL_KEY, streaming=True),
}
MODES = ("performance", "accuracy")
