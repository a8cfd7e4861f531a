"""Synthetic datasets in the MLPerf `cnn_eval.json` format, tokenised by a given tokenizer."""
from __future__ import annotations

import json
import pathlib
import random

from fleetbench_harness.synthetic_text import paragraph, sentence

PROMPT = ("Summarize the following news article in 128 tokens. Please output the summary only, "
          "without any other text.\n\nArticle:\n{article}\n\nSummary:")


def make_sample(rng: random.Random, tokenizer, target_tokens: int) -> dict:
    """Grow an article until its prompt reaches the target length; the lead is the reference."""
    article = paragraph(rng, 2)
    prompt = PROMPT.format(article=article)
    ids = tokenizer.encode(prompt)
    while len(ids) < target_tokens:
        article += " " + sentence(rng)
        prompt = PROMPT.format(article=article)
        ids = tokenizer.encode(prompt)
    lead = ". ".join(article.split(". ")[:2]).rstrip(".") + "."
    return {"input": prompt, "tok_input": ids, "output": lead}


def make_dataset(tokenizer, samples: int, min_input_tokens: int, max_input_tokens: int,
                 seed: int = 0) -> list[dict]:
    if samples < 1 or min_input_tokens < 1 or max_input_tokens < min_input_tokens:
        raise ValueError("need samples >= 1 and 1 <= min_input_tokens <= max_input_tokens")
    rng = random.Random(seed)
    return [make_sample(rng, tokenizer, rng.randint(min_input_tokens, max_input_tokens))
            for _ in range(samples)]


def write_dataset(path: pathlib.Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records), encoding="utf-8")
