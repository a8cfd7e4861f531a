# Speed side by side: the harness vs plain LLM.generate vs the MLCommons reference.
# Not part of `make test`: about 30-40 minutes on 2 CPUs. Numbers land in BENCHMARKS.md.
.PHONY: bench-harness

BENCH_HARNESS_ARGS ?=

bench-harness: setup-controller ## speed: harness vs LLM.generate vs MLCommons reference, into BENCHMARKS.md (~40 min)
	@test -x "$(FLEETBENCH_VLLM_PYTHON)" || { echo "bench-harness: no vLLM venv at $(FLEETBENCH_VLLM_PYTHON): run make setup-harness" >&2; exit 2; }
	PYTHONPATH=collections $(BIN)/python -m benchmarks.bench_harness $(BENCH_HARNESS_ARGS)

.PHONY: bench-min-tokens
bench-min-tokens: setup-controller ## speed: plain LLM.generate with and without the harness's min_tokens=2, into BENCHMARKS.md (~10 min)
	@test -x "$(FLEETBENCH_VLLM_PYTHON)" || { echo "bench-min-tokens: no vLLM venv at $(FLEETBENCH_VLLM_PYTHON): run make setup-harness" >&2; exit 2; }
	PYTHONPATH=collections $(BIN)/python -m benchmarks.bench_min_tokens $(BENCH_MIN_TOKENS_ARGS)
