# fleetbench.llm.nvidia_driver: lint the role, run its tests on namespaced test hosts (root, ~5 min idle machine).
.PHONY: lint-driver-role test-driver-role

lint-driver-role: setup-controller ## ansible-lint (production) on the nvidia_driver role
	$(BIN)/ansible-lint --profile production roles/nvidia_driver tests/integration/driver/playbooks

test-driver-role: setup-controller ## nvidia_driver role on real test hosts: install, pin, hold, upgrade, reboot, refusals
	$(BIN)/pytest tests/integration/driver/test_nvidia_driver_role.py
