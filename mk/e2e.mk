# The incident end to end: drift gate, benchmark, upgrade and A/B on three SSH test hosts.
.PHONY: test-e2e upgrade-and-compare

test-e2e: setup ## the incident end to end on 3 namespaced SSH hosts, real harness (root; 9 min measured on 2 idle cores); reports in tests/output/e2e/
	$(BIN)/pytest tests/integration/e2e

INVENTORY ?= inventory/example_fleet
upgrade-and-compare: setup ## benchmark, roll the driver to the pinned version, benchmark, A/B report (INVENTORY=...)
	$(BIN)/ansible-playbook playbooks/upgrade_and_compare.yml -i $(INVENTORY)
