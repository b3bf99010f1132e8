# dfaas.edge: one entry point for developers and CI.
#   make test    everything CI checks (installs its own tools)      <- .ci/run
#   make demo    the local testbed federation under load
#   make lint / sanity / units / agent-test / molecule / build       faster targets
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
# ansible-test and the collection loader need .../ansible_collections/dfaas/edge:
# the tree is staged (copied) there, outside the checkout, one folder per checkout.
STAGE ?= $(HOME)/.cache/dfaas-edge/$(shell printf %s "$(CURDIR)" | md5sum | cut -c1-8)
COLLECTION := $(STAGE)/ansible_collections/dfaas/edge
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := build/dfaas-edge-$(VERSION).tar.gz

.PHONY: help
help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

# --- toolchain -------------------------------------------------------------------

.PHONY: deps venv fresh-machine-check
deps:  ## install the Debian packages the tests and the demo need (only what is missing), then smoke-check each tool
	scripts/install-system-deps.sh

# Whatever this machine has installed by hand, a clean Debian 12 root must get every
# tool (and the venv, on Debian's own python3) from the project's install step alone.
fresh-machine-check: deps  ## the install step in a clean debootstrap root (cached): every tool, and the venv
	scripts/fresh-machine-check.sh --venv

venv: $(VENV)/.installed  ## the pinned Python toolchain and the agent (editable)

$(VENV)/.installed: requirements/dev.txt requirements/k8s.txt agent/pyproject.toml agent/testing/pyproject.toml experiments/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	  -r requirements/dev.txt -r requirements/k8s.txt -r experiments/requirements.txt \
	  -e 'agent[test]' -e agent/testing
	touch $@

# --- checks ----------------------------------------------------------------------

.PHONY: test lint shellcheck yamllint ansible-lint ruff mypy changelog-lint sanity units plugin-tests agent-test agent-test-py312 experiments-test image molecule
test: deps fresh-machine-check venv lint sanity image units molecule testbed-ssh-check build  ## everything CI checks
	@echo "make test: all checks passed"

lint: yamllint ansible-lint ruff mypy shellcheck changelog-lint  ## yamllint, ansible-lint (production), ruff, mypy, shellcheck, changelog fragments

yamllint: venv
	$(BIN)/yamllint --strict .

# Playbooks name our roles as dfaas.edge.*: lint resolves them from the staged copy,
# not from whatever ~/.ansible/collections happens to hold (ansible-lint puts its cache
# folder, ANSIBLE_HOME's collections, first on the collections path).
ansible-lint: venv
	scripts/stage-collection.sh $(STAGE) >/dev/null
	ANSIBLE_HOME=$(STAGE)/ansible-home ANSIBLE_COLLECTIONS_PATH=$(STAGE) PATH=$(BIN):$$PATH $(BIN)/ansible-lint --profile production

ruff: venv
	$(BIN)/ruff check plugins tests scripts
	$(BIN)/ruff format --check plugins tests scripts
	cd agent && $(BIN)/ruff check src testing tests && $(BIN)/ruff format --check src testing tests
	cd experiments && $(BIN)/ruff check . && $(BIN)/ruff format --check .

mypy: venv
	cd agent && $(BIN)/mypy
	cd experiments && $(BIN)/mypy

shellcheck:
	shellcheck -x scripts/*.sh containers/*.sh .ci/run

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

sanity: venv  ## ansible-test sanity on the staged collection, offline, empty ignore files
	scripts/sanity.sh $(VENV) $(STAGE)

units: plugin-tests agent-test agent-test-py312 experiments-test  ## plugin, agent and experiment tests

plugin-tests: venv  ## plugins: unit tests, and integration tests against real HAProxy/Prometheus
	scripts/stage-collection.sh $(STAGE) >/dev/null
	cd $(COLLECTION) && PATH=$(BIN):$$PATH PYTHONPATH=$(STAGE) \
	  $(BIN)/python -m pytest -p no:cacheprovider tests/unit tests/integration

agent-test: venv  ## the agent's unit, property and component tests
	cd agent && $(BIN)/python -m pytest -p no:cacheprovider

# The agent must also run on Ubuntu 24.04's Python. CI requires it (REQUIRE_PY312=1);
# elsewhere the target says loudly that it did not run.
VENV312 ?= $(CURDIR)/.venv312
agent-test-py312:  ## the agent's tests again on Python 3.12
	@python312=$$(scripts/find-python.sh 3.12) || { \
	  echo "agent-test-py312: NOT RUN: no Python 3.12 found" >&2; \
	  test -z "$${REQUIRE_PY312:-}" || exit 1; exit 0; }; \
	test -x $(VENV312)/bin/python || $$python312 -m venv $(VENV312); \
	$(VENV312)/bin/python -m pip install --quiet --disable-pip-version-check -e 'agent[test]' -e agent/testing; \
	cd agent && $(VENV312)/bin/python -m pytest -p no:cacheprovider

image: deps  ## the Podman node image (debootstrap + Containerfile), rebuilt only when it changes
	containers/build-node-image.sh

experiments-test: venv  ## load generator, scenarios, reports and simulator
	cd experiments && $(BIN)/python -m pytest -p no:cacheprovider

molecule: venv image  ## every molecule scenario, or those in SCENARIOS="node gateway"; logs in build/molecule/
	scripts/molecule-all.sh $(SCENARIOS)

# --- packaging -------------------------------------------------------------------

.PHONY: build
build: venv  ## build the collection tarball, install it, check that ansible-doc sees it
	mkdir -p build
	$(BIN)/ansible-galaxy collection build --force --output-path build .
	scripts/check-build.sh $(VENV) $(TARBALL)

# --- benchmarks ------------------------------------------------------------------

.PHONY: bench bench-scale
bench: deps venv  ## forwarding overhead, reaction time, queue, hitless reload, agent footprint, churn (3 loopback nodes, ~4 min)
	cd experiments && $(BIN)/python -m dfaas_experiments.bench --out results/bench

bench-scale: deps venv  ## what each agent costs as the federation grows: 5, 10, 20, 50 loopback nodes (~15 min)
	cd experiments && $(BIN)/python -m dfaas_experiments.bench.scale --out results/bench-scale

# --- the main job ----------------------------------------------------------------

.PHONY: demo demo-down
demo: venv image  ## the local testbed: three federated containerised nodes overloaded, all_local then recalc (STRATEGY=...)
	scripts/demo.sh $(if $(STRATEGY),--strategy $(STRATEGY))

demo-down:  ## remove the local testbed
	scripts/demo.sh --down

.PHONY: testbed-ssh testbed-ssh-check verify-hosts
testbed-ssh: venv image  ## the testbed reached over SSH as real VMs (password, become, OpenSSH + paramiko, firewall on), host checks, removed (~10 min)
	scripts/testbed-ssh.sh

testbed-ssh-check: venv image  ## what `make test` runs of it: two nodes (one OpenSSH, one paramiko), host checks, removed (~4 min)
	scripts/testbed-ssh.sh --nodes 2

verify-hosts: venv  ## host checks (tests/hosts, pytest-testinfra) on the nodes of INVENTORY=path, over their SSH connections
	scripts/verify-hosts.sh $(or $(INVENTORY),$(error set INVENTORY=path/to/inventory))

# The VM testbed: QEMU VMs from a debootstrap disk, reached over SSH (docs/testbed.md).
# Each phase prints its wall time; NODES=N (default 3) VMs.
.PHONY: testbed-vm testbed-vm-down
testbed-vm: deps venv  ## VM testbed: build the disk, boot NODES=3 QEMU VMs, setup.yml + federate.yml over SSH, each phase timed
	@began=$$SECONDS; scripts/testbed-vm.sh build; echo "testbed-vm: phase build: $$((SECONDS - began)) s"
	@began=$$SECONDS; scripts/testbed-vm.sh up --nodes $(or $(NODES),3); echo "testbed-vm: phase up (boot to SSH): $$((SECONDS - began)) s"
	VENV=$(VENV) scripts/testbed-vm.sh converge

testbed-vm-down:  ## stop the VM testbed: VMs, overlays, taps, bridge and generated inventory
	scripts/testbed-vm.sh down

.PHONY: clean
clean:  ## remove build outputs and the staged collection (keeps the venv)
	rm -rf build $(STAGE) tests/output
