# The main job (benchmark.yml) across a fleet: its tests and the fleet-size benchmark.
.PHONY: test-benchmark test-benchmark-faults bench-fleet bench-controller bench-run-phases demo-fast

test-benchmark: setup ## benchmark.yml on localhost for real: ansible-runner (AWX) job, deploy idempotence, Server search, run ids (8 min before the last two joined)
	$(BIN)/pytest -m "not testhosts and not gpu_install" tests/unit/plugins/module_utils/harness \
	  tests/unit/plugins/plugin_utils --ignore=tests/unit/plugins/plugin_utils/report tests/integration/benchmark

test-benchmark-faults: setup ## every fault at once on 10 namespaced SSH hosts with the real harness, archive collection over SSH (root, ~6 min)
	$(BIN)/pytest -m testhosts tests/integration/benchmark

BENCH_FLEET_HOSTS ?= 1 2 4 8
bench-fleet: setup ## wall time, overhead and controller CPU per host (start/watch/collect/report) of benchmark.yml on 1, 2, 4, 8 test hosts (root; updates BENCHMARKS.md)
	BENCH_FLEET_HOSTS="$(BENCH_FLEET_HOSTS)" BENCH_FLEET_NOTE="$(BENCH_FLEET_NOTE)" $(BIN)/python benchmarks/bench_fleet.py

BENCH_CONTROLLER_BEFORE ?=
bench-controller: setup ## controller CPU s per look and per collect, on one test host with a stand-in harness (root; BENCH_CONTROLLER_BEFORE=DIR adds a tree; updates BENCHMARKS.md)
	$(BIN)/python benchmarks/bench_controller.py $(if $(BENCH_CONTROLLER_BEFORE),--before $(BENCH_CONTROLLER_BEFORE))

BENCH_RUN_PHASES ?= 20 5 20
bench-run-phases: setup-controller ## wall time of HOSTS FORKS RUN_S (BENCH_RUN_PHASES) stand-in runs: started in one task and watched in the next vs one task per run
	$(BIN)/python benchmarks/bench_run_phases.py $(BENCH_RUN_PHASES)

demo-fast: setup ## the first command with Offline only (about a minute after the first run)
	$(BIN)/ansible-playbook benchmark.yml -i inventory/localhost -e '{"fleetbench_scenarios": ["Offline"]}'
