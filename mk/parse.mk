# LoadGen result parsing: the loadgen_result module, its parser and the result record.
.PHONY: test-parse bench-parse

test-parse: setup-controller ## parser + loadgen_result tests: corpus, corrupted logs, contract, real LoadGen runs, ansible
	$(BIN)/pytest tests/unit/plugins/module_utils/loadgen tests/unit/plugins/module_utils/test_result_record.py \
	  tests/integration/loadgen

bench-parse: setup-controller ## parser MB/s vs bare json.loads on a full-size LoadGen Server log (updates BENCHMARKS.md)
	$(BIN)/python benchmarks/bench_parse.py

.PHONY: fuzz
FUZZ_INPUTS ?= 10000
fuzz: setup-controller ## fuzz every parser (LoadGen logs, folders, nvidia-smi formats) with FUZZ_INPUTS damaged inputs each (updates BENCHMARKS.md)
	$(BIN)/python benchmarks/fuzz_parsers.py --inputs $(FUZZ_INPUTS)
