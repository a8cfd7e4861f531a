# The vLLM + LoadGen harness (harness/): tiny model, synthetic dataset, its tests, a quick run.
.PHONY: tiny-model tiny-dataset test-harness test-harness-unit harness-quick-run

HARNESS := $(FLEETBENCH_VLLM_PYTHON) -m fleetbench_harness
TINY_MODEL := .cache/tiny-llama
TINY_DATASET := .cache/tiny-dataset-64.json
HARNESS_SCENARIO ?= Offline
HARNESS_MODE ?= performance

tiny-model: $(TINY_MODEL)/config.json ## random-weights Llama + local tokenizer in .cache/tiny-llama (offline, ~5 s)
$(TINY_MODEL)/config.json: | setup-harness
	$(HARNESS) make-tiny-model --output $(TINY_MODEL)

tiny-dataset: $(TINY_DATASET) ## 64 synthetic MLPerf-format samples for the tiny model
$(TINY_DATASET): $(TINY_MODEL)/config.json
	$(HARNESS) make-dataset --tokenizer $(TINY_MODEL) --output $@ --samples 64 --min-input-tokens 100 --max-input-tokens 400

test-harness-unit: setup-controller ## harness unit tests, no vLLM (~2 s)
	$(BIN)/pytest tests/unit/harness

test-harness: setup-controller setup-harness ## harness unit + real vLLM CPU/LoadGen runs of every scenario and failure (~5 min on 2 idle cores)
	$(BIN)/pytest tests/unit/harness tests/integration/harness

harness-quick-run: tiny-dataset ## one quick-profile run on the tiny model (HARNESS_SCENARIO, HARNESS_MODE) into results/harness-quick/
	VLLM_CPU_KVCACHE_SPACE=$${VLLM_CPU_KVCACHE_SPACE:-1} $(HARNESS) run --scenario $(HARNESS_SCENARIO) --mode $(HARNESS_MODE) \
	  --model $(TINY_MODEL) --dataset $(TINY_DATASET) --profile quick --output results/harness-quick/$(HARNESS_SCENARIO)/$(HARNESS_MODE)

.PHONY: bench-telemetry
bench-telemetry: tiny-dataset ## telemetry on vs off, ABBA rounds of a quick Offline run: throughput difference and sampler CPU (updates BENCHMARKS.md)
	$(BIN)/python benchmarks/bench_telemetry.py
