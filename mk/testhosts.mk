# Namespaced SSH test hosts, the stand-in NVIDIA apt repository, the rolling driver upgrade.
# Needs root (network namespaces, overlay mounts, cgroups): see tests/testhosts/README.md.
.PHONY: testhosts-up testhosts-down testhosts-status standin-repo test-testhosts test-driver-upgrade bench-testhosts

TESTHOSTS ?= 3
TESTHOSTS_FLEET ?= 0

standin-repo: setup-system ## build the stand-in NVIDIA apt repository (equivs; cached by content hash)
	python3 tests/standin/build_repo.py

testhosts-up: setup-system ## bring up TESTHOSTS=3 namespaced Debian hosts reached over SSH; prints the inventory
	python3 tests/testhosts/testhosts.py --fleet $(TESTHOSTS_FLEET) up $(TESTHOSTS)

testhosts-status: ## show the test hosts of fleet TESTHOSTS_FLEET=0
	python3 tests/testhosts/testhosts.py --fleet $(TESTHOSTS_FLEET) status

testhosts-down: ## tear down fleet TESTHOSTS_FLEET=0: processes, mounts, namespaces, bridge
	python3 tests/testhosts/testhosts.py --fleet $(TESTHOSTS_FLEET) down

test-testhosts: setup-controller setup-system ## test-host infrastructure: ssh, apt, cgroup quota, stand-in reboot (~1 min)
	$(BIN)/pytest tests/unit/testhosts tests/integration/testhosts

test-driver-upgrade: setup-controller setup-system ## rolling driver upgrade on 3 test hosts: drift, canary, busy GPU, failed host (~25 min)
	$(BIN)/pytest tests/integration/driver/test_driver_upgrade.py

bench-testhosts: setup-controller setup-system ## time test hosts: up/ping/reset/reboot/down, --cold debootstrap and repo; into BENCHMARKS.md
	$(BIN)/python benchmarks/bench_testhosts.py --cold

.PHONY: molecule
MOLECULE_SCENARIO ?=
molecule: setup-controller setup-system ## each role's molecule scenario on namespaced test hosts: converge, idempotence, verify (MOLECULE_SCENARIO=nvidia_driver for one; root)
	$(BIN)/molecule test $(if $(MOLECULE_SCENARIO),-s $(MOLECULE_SCENARIO),--all)
