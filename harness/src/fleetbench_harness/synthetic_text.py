"""Deterministic news-like English, for training the tiny tokenizer and making synthetic datasets."""
from __future__ import annotations

import random

SUBJECTS = (
    "the minister", "a spokesman", "the company", "police", "the council", "local residents",
    "the team", "researchers", "the court", "officials", "the president", "a witness",
    "the hospital", "engineers", "the school", "voters", "the airline", "farmers",
)
VERBS = (
    "said", "announced", "confirmed", "denied", "reported", "warned", "promised", "revealed",
    "approved", "rejected", "investigated", "celebrated", "criticised", "welcomed",
)
OBJECTS = (
    "a new plan", "the decision", "the report", "an agreement", "the results", "a proposal",
    "the budget", "the changes", "a strike", "the findings", "the storm damage", "new rules",
    "the election", "a record profit", "the delays", "an inquiry", "the match", "a rescue",
)
TAILS = (
    "on Monday", "on Tuesday", "last week", "after months of talks", "in a statement",
    "at a press conference", "despite strong criticism", "earlier this year", "in London",
    "in New York", "according to sources", "for the first time", "by a narrow margin",
)


def sentence(rng: random.Random) -> str:
    words = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
    if rng.random() < 0.3:
        words += f", {rng.choice(SUBJECTS)} {rng.choice(VERBS)}"
    return words[0].upper() + words[1:] + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def corpus(seed: int, paragraphs: int = 400) -> list[str]:
    rng = random.Random(seed)
    return [paragraph(rng, rng.randint(3, 12)) for _ in range(paragraphs)]
