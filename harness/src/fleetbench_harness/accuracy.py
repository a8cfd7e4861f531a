"""Accuracy scoring as MLPerf's Llama-3.1-8B evaluation does it: decode the token ids LoadGen
logged, split sentences with NLTK, score ROUGE with Google's rouge-score (the library behind
Hugging Face `evaluate`'s "rouge"), stemmed, per sample, averaged, in percent."""
from __future__ import annotations

import concurrent.futures
import importlib.metadata
import json
import multiprocessing
import os
import pathlib

import numpy as np

from fleetbench_harness.errors import BadInput

ACCURACY_LOG = "mlperf_log_accuracy.json"
ACCURACY_FILE = "fleetbench_accuracy.json"
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
# MLPerf Inference Llama-3.1-8B reference scores (full 13,368-sample set); targets are 99% of
# each, and gen_len within 90-110%.
REFERENCE = {"rouge1": 38.7792, "rouge2": 15.9075, "rougeL": 24.4957, "rougeLsum": 35.793}
REFERENCE_GEN_LEN = 8167644
REFERENCE_GEN_NUM = 13368


def targets() -> dict:
    values = {key: round(0.99 * value, 4) for key, value in REFERENCE.items()}
    values["gen_len"] = {"min": round(0.9 * REFERENCE_GEN_LEN), "max": round(1.1 * REFERENCE_GEN_LEN)}
    values["gen_num"] = REFERENCE_GEN_NUM
    return values


def read_accuracy_log(path: pathlib.Path) -> dict[int, np.ndarray]:
    """qsl_idx -> generated token ids; LoadGen may log a sample more than once, the first counts."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise BadInput(f"accuracy log {path}: not readable ({err})") from None
    predictions: dict[int, np.ndarray] = {}
    for entry in entries:
        index = entry["qsl_idx"]
        if index not in predictions:
            predictions[index] = np.frombuffer(bytes.fromhex(entry["data"]), dtype="<i4")
    return predictions


def sentence_splitter():
    """NLTK's trained English Punkt when its data is installed (as in the reference), else
    Punkt's untrained rules, which need no data; the choice is recorded with the scores."""
    import nltk
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
        return nltk.sent_tokenize, "nltk punkt_tab english"
    except LookupError:
        return PunktSentenceTokenizer().tokenize, "nltk punkt untrained (punkt_tab data not installed)"


PARALLEL_FROM = 500  # below this, starting worker processes costs more than it saves
MAX_WORKERS = 8


def rouge_scores(predictions: list[str], references: list[str], workers: int | None = None) -> tuple[dict, str]:
    """Mean F-measures in percent, rounded like the reference, plus gen_len and gen_num.
    Large sets are scored in worker processes: rouge-score is pure Python and single-threaded."""
    split, splitter_name = sentence_splitter()
    predictions = ["\n".join(split(text.strip())) for text in predictions]
    references = ["\n".join(split(text.strip())) for text in references]
    pairs = list(zip(references, predictions))
    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_WORKERS) if len(pairs) >= PARALLEL_FROM else 1
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for chunk_totals in _score_chunks(pairs, workers):
        for key in ROUGE_TYPES:
            totals[key] += chunk_totals[key]
    count = max(len(predictions), 1)
    result = {key: round(totals[key] / count * 100, 4) for key in ROUGE_TYPES}
    result["gen_len"] = int(sum(len(text) for text in predictions))
    result["gen_num"] = len(predictions)
    return result, splitter_name


def _score_chunks(pairs: list[tuple[str, str]], workers: int):
    if workers <= 1:
        return [_sum_fmeasures(pairs)]
    size = -(-len(pairs) // workers)
    chunks = [pairs[start:start + size] for start in range(0, len(pairs), size)]
    # spawn, not fork: the harness process still has engine and status threads running.
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_sum_fmeasures, chunks))


def _sum_fmeasures(pairs: list[tuple[str, str]]) -> dict[str, float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for reference, prediction in pairs:
        scores = scorer.score(reference, prediction)
        for key in ROUGE_TYPES:
            totals[key] += scores[key].fmeasure
    return totals


def passed(scores: dict, goal: dict) -> bool | None:
    """Whether MLPerf's targets are met; None when the scored set is not the full one, where
    gen_len and the reference scores say nothing (a subset or a synthetic dataset)."""
    if scores["gen_num"] != goal["gen_num"]:
        return None
    rouge_ok = all(scores[key] >= goal[key] for key in ROUGE_TYPES)
    gen_len_ok = goal["gen_len"]["min"] <= scores["gen_len"] <= goal["gen_len"]["max"]
    return rouge_ok and gen_len_ok


def score_run(output_dir: pathlib.Path, references: list[str], tokenizer) -> dict:
    """Score a finished accuracy run; the caller writes the result next to the LoadGen logs."""
    predictions = read_accuracy_log(output_dir / ACCURACY_LOG)
    if not predictions:
        raise BadInput(f"accuracy log {output_dir / ACCURACY_LOG} is empty (a performance-mode run?)")
    indices = sorted(predictions)
    if indices[-1] >= len(references):
        raise BadInput(f"accuracy log names sample {indices[-1]} but the dataset has {len(references)}")
    texts = tokenizer.batch_decode([predictions[i].tolist() for i in indices], skip_special_tokens=True)
    scores, splitter_name = rouge_scores(texts, [references[i] for i in indices])
    goal = targets()
    scores.update({
        "targets": goal,
        "passed": passed(scores, goal),
        "scorer": {"library": "rouge-score", "version": importlib.metadata.version("rouge-score"),
                   "use_stemmer": True, "sentence_splitter": splitter_name},
    })
    return scores
