# fleetbench.llm: every entry point a person or CI uses. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VLLM_VENV := .venv-vllm
BIN := $(VENV)/bin
# torch==2.13.0+cpu is not on PyPI: pip tries the configured indexes first, then this one.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
export FLEETBENCH_VLLM_PYTHON ?= $(CURDIR)/$(VLLM_VENV)/bin/python
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help setup setup-system setup-controller setup-harness demo test test-unit test-integration \
        lint sanity docs-check importer build clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

setup: setup-system setup-controller setup-harness ## install everything (system packages, controller venv, vLLM CPU venv)

setup-system: .cache/stamps/system ## Debian packages: test hosts, stand-in packages, browser
.cache/stamps/system: scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	@mkdir -p $(@D) && touch $@

setup-controller: $(VENV)/.installed ## controller venv: ansible-core, plugins' deps, test tools
$(VENV)/.installed: requirements/controller.txt requirements/test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements/test.txt
	touch $@

setup-harness: $(VLLM_VENV)/.installed ## vLLM CPU venv with the harness installed (about 3.5 GB)
$(VLLM_VENV)/.installed: requirements/harness-cpu.txt harness/pyproject.toml
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install -q -r requirements/harness-cpu.txt \
	  || $(VLLM_VENV)/bin/pip install -q --extra-index-url $(TORCH_INDEX) -r requirements/harness-cpu.txt
	@# PyPI's torchvision/torchaudio break transformers beside torch 2.13.0+cpu.
	$(VLLM_VENV)/bin/pip uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
	$(VLLM_VENV)/bin/pip install -q --no-deps -e harness
	touch $@

demo: setup ## the main job on the embedded default: localhost, vLLM CPU, tiny model, real LoadGen, report
	$(BIN)/ansible-playbook benchmark.yml -i inventory/localhost

test: setup ## every suite: lint, sanity, docs, importer, unit, integration
	$(MAKE) lint docs-check importer sanity gpu-requirements
	@mkdir -p tests/output
	$(BIN)/pytest tests --junitxml=tests/output/pytest-junit.xml --durations=25

test-unit: setup-controller ## fast unit tests only
	$(BIN)/pytest tests/unit

lint: setup-controller ## ansible-lint (production profile) and changelog fragments
	$(BIN)/ansible-lint --profile production
	$(BIN)/antsibull-changelog lint

sanity: setup-controller build ## ansible-test sanity on the built collection (offline subset)
	bash scripts/ansible-test-sanity.sh

docs-check: setup-controller ## ansible-doc renders every plugin
	bash scripts/check-docs.sh

build: setup-controller ## build the collection artifact into build/
	@mkdir -p build && rm -f build/*.tar.gz
	$(BIN)/ansible-galaxy collection build --force --output-path build .

importer: build ## galaxy-importer accepts the built artifact
	bash scripts/galaxy-importer.sh

clean: ## remove build output and results (keeps the venvs)
	rm -rf build results tests/output

-include mk/*.mk
