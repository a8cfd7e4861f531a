"""bench-min-tokens' section: medians and per-round ratios of LLM.generate with and without min_tokens=2."""
from __future__ import annotations

import argparse
import json
import os
import pathlib

from benchmarks.bench_min_tokens import END, START, render
from benchmarks.harness_bench.contenders import PLAIN, RunResult


def run(tmp_path: pathlib.Path, name: str, min_tokens: int, tokens_per_second: float | None, tokens: int = 131072) -> RunResult:
    out = tmp_path / name
    out.mkdir()
    (out / "plain_generate.json").write_text(json.dumps({"tokens": tokens, "tokens_per_second": tokens_per_second}))
    return RunResult(PLAIN, "Offline", {"min_tokens": min_tokens}, tokens_per_second, None,
                     None if tokens_per_second else "exit code 1", 60.0, 0.5, str(out))


def test_the_section_compares_medians_and_each_round(tmp_path, monkeypatch):
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "4")
    runs = [(1, run(tmp_path, "a", 0, 5000.0)), (1, run(tmp_path, "b", 2, 4500.0)),
            (2, run(tmp_path, "c", 2, 4800.0)), (2, run(tmp_path, "d", 0, 5200.0)),
            (3, run(tmp_path, "e", 0, 4000.0)), (3, run(tmp_path, "f", 2, None))]
    args = argparse.Namespace(samples=1024, work_dir=tmp_path)

    section = render(runs, args, "2026-12-07 19:00", 9.6)

    assert section.startswith(START) and section.endswith(END)
    assert "| min_tokens unset (vLLM's default) | 5,000 (r1, load 0.5), 5,200 (r2, load 0.5), 4,000 (r3, load 0.5) | 131,072 | 5,000 |" in section
    assert "| min_tokens=2 | 4,500 (r1, load 0.5), 4,800 (r2, load 0.5), failed (r3) | 131,072 | 4,650 |" in section
    # 4,650 / 5,000; round 3 has no pair.
    assert "Median with / without: 0.93; per round: 0.900, 0.923." in section
    assert "10 min in all" in section and os.environ["VLLM_CPU_KVCACHE_SPACE"] == "4"
