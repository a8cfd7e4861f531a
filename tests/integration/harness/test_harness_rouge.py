"""ROUGE scoring in the harness venv (rouge-score and NLTK live there, not in the controller's)."""
from __future__ import annotations

import json
import subprocess

import pytest

pytestmark = pytest.mark.vllm

SCRIPT = """
import json, random, sys
from fleetbench_harness.accuracy import rouge_scores
from fleetbench_harness.synthetic_text import paragraph

rng = random.Random(7)
predictions = [paragraph(rng, 4) for _ in range(600)]
references = [paragraph(rng, 2) for _ in range(600)]
if __name__ == "__main__":
    serial, _ = rouge_scores(predictions, references, workers=1)
    parallel, splitter = rouge_scores(predictions, references, workers=2)
    same, _ = rouge_scores(["The cat sat. It slept."], ["The cat sat. It slept."])
    disjoint, _ = rouge_scores(["alpha beta"], ["gamma delta"])
    print(json.dumps({"serial": serial, "parallel": parallel, "same": same, "disjoint": disjoint}))
"""


@pytest.fixture(scope="module")
def scored(harness_python, tmp_path_factory):
    script = tmp_path_factory.mktemp("rouge") / "score.py"
    script.write_text(SCRIPT)
    result = subprocess.run([str(harness_python), str(script)], capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_worker_processes_give_the_same_scores_as_one_process(scored):
    assert scored["parallel"] == scored["serial"]
    assert scored["serial"]["gen_num"] == 600
    assert 0 < scored["serial"]["rouge2"] < scored["serial"]["rouge1"] < 100


def test_identical_texts_score_100_and_disjoint_texts_0(scored):
    assert {k: scored["same"][k] for k in ("rouge1", "rouge2", "rougeL", "rougeLsum")} == dict.fromkeys(
        ("rouge1", "rouge2", "rougeL", "rougeLsum"), 100.0)
    assert {k: scored["disjoint"][k] for k in ("rouge1", "rouge2", "rougeL", "rougeLsum")} == dict.fromkeys(
        ("rouge1", "rouge2", "rougeL", "rougeLsum"), 0.0)
    assert scored["same"]["gen_len"] == len("The cat sat.\nIt slept.")
