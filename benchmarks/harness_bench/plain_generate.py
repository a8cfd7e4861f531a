"""Baseline: plain `LLM.generate` over the same token-id prompts the harness is given.

Runs in the vLLM venv (`python plain_generate.py ...`) and writes its numbers as JSON to
--result (vLLM prints its own log lines on stdout).
Like the harness, it generates for two prompts before timing, so first-call set-up is not
counted in either."""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

WARMUP_PROMPTS = 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=pathlib.Path, required=True)
    parser.add_argument("--dataset", type=pathlib.Path, required=True)
    parser.add_argument("--samples", type=int, required=True)
    parser.add_argument("--result", type=pathlib.Path, required=True, help="JSON file to write")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--min-tokens", type=int, default=0,
                        help="SamplingParams.min_tokens; 0 leaves vLLM's default (the harness sets 2)")
    parser.add_argument("--engine-args", type=json.loads, default={},
                        help="JSON object: the exact engine arguments the harness used")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from vllm import LLM, SamplingParams
    from vllm.inputs import TokensPrompt

    records = json.loads(args.dataset.read_text(encoding="utf-8"))[: args.samples]
    prompts = [TokensPrompt(prompt_token_ids=record["tok_input"]) for record in records]
    params = SamplingParams(temperature=0.0, max_tokens=args.max_tokens,
                            **({"min_tokens": args.min_tokens} if args.min_tokens else {}))
    llm = LLM(model=str(args.model), **args.engine_args)
    llm.generate(prompts[:WARMUP_PROMPTS], params, use_tqdm=False)
    started = time.perf_counter()
    outputs = llm.generate(prompts, params, use_tqdm=False)
    seconds = time.perf_counter() - started
    tokens = sum(len(output.outputs[0].token_ids) for output in outputs)
    args.result.write_text(json.dumps({
        "samples": len(outputs), "tokens": tokens, "seconds": round(seconds, 3),
        "tokens_per_second": round(tokens / seconds, 2)}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
