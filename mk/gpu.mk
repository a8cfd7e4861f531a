# GPU facts and the drift gate: gpu_facts module, drift_table filter, preflight role/playbook.
.PHONY: test-gpu test-gpu-testhosts preflight bench-preflight

test-gpu: setup-controller ## gpu_facts + drift gate tests: every nvidia-smi corpus file, stand-in nvidia-smi, ansible-playbook runs (3-6 min on 2 shared cores)
	$(BIN)/pytest -m "not testhosts and not gpu_install" tests/unit/plugins/module_utils/gpu \
	  tests/unit/plugins/module_utils/gpu/test_drift.py tests/unit/standin tests/integration/gpu_facts tests/integration/preflight

test-gpu-testhosts: setup-controller ## drift gate over SSH on namespaced Debian hosts with stand-in driver packages (root)
	$(BIN)/pytest -m testhosts tests/integration/preflight

preflight: setup-controller ## run the drift gate on INVENTORY (default: the localhost inventory)
	$(BIN)/ansible-playbook -i $(or $(INVENTORY),inventory/localhost) playbooks/preflight.yml

bench-preflight: setup-controller ## time drift_report (500 hosts), XML parsing and preflight on 20 stand-in hosts (updates BENCHMARKS.md)
	$(BIN)/python benchmarks/bench_preflight.py

.PHONY: gpu-check gpu-requirements test-gpu-install

gpu-check: ## on a machine with an NVIDIA GPU: NVML and nvidia-smi agree, telemetry sees a load (no network; JSON in tests/output)
	$(PYTHON) scripts/gpu_check.py

gpu-requirements: setup-controller ## resolve the GPU hosts' requirement set against PyPI, metadata only (fails on conflicting pins)
	bash scripts/check-gpu-requirements.sh

test-gpu-install: setup ## install the CUDA build of vLLM through harness_deploy for real; the harness must say no GPU in one line (~15 min)
	$(BIN)/pytest -m gpu_install tests/integration
