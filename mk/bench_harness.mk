# Speed side by side: the harness vs plain LLM.generate vs the MLCommons reference.
# Not part of `make test`: about 30-40 minutes on 2 CPUs. Numbers land in BENCHMARKS.md.
.PHONY: bench-harness

BENCH_HARNESS_ARGS ?=

bench-harness: setup-controller ## speed: harness vs LLM.generate vs MLCommons reference, into BENCHMARKS.md (~40 min)
	@test -x "$(FLEETBENCH_VLLM_PYTHON)" || { echo "bench-harness: no vLLM venv at $(FLEETBENCH_VLLM_PYTHON): run make setup-harness" >&2; exit 2; }
	PYTHONPATH=collections $(BIN)/python -m benchmarks.bench_harness $(BENCH_HARNESS_ARGS)
