# LoadGen result parsing: the loadgen_result module, its parser and the result record.
.PHONY: test-parse bench-parse

test-parse: setup-controller ## parser + loadgen_result tests: corpus, corrupted logs, contract, real LoadGen runs, ansible
	$(BIN)/pytest tests/unit/plugins/module_utils/test_result_record.py \
	  tests/unit/plugins/module_utils/test_loadgen_*.py tests/integration/loadgen

bench-parse: setup-controller ## parser MB/s vs bare json.loads on a full-size LoadGen Server log (updates BENCHMARKS.md)
	$(BIN)/python benchmarks/bench_parse.py
