# Bulwark — the two commands: `make demo` and `make test`. Everything else is a building block.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR ?= 0
LAB_HOSTS     ?= 3
LAB_NEGLECTED ?= lab3
# Controller packages (Debian): the lab (podman), real restic, PostgreSQL for the DB hook
# tests, nftables tools, and Chromium to render the compliance report in tests.
APT_PACKAGES := podman runc debootstrap uidmap slirp4netns fuse-overlayfs restic nftables \
	postgresql postgresql-client openssh-client sshpass rsync chromium python3-venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SCENARIOS ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))

.PHONY: help deps venv lab-image lab-up lab-down lab-status demo test test-unit \
	test-integration test-molecule bench lint clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: ## Install the Debian packages the controller needs (apt)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "apt: installing $$missing"; \
		$(SUDO) apt-get update -qq; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# PostgreSQL tests start their own server; the package's default cluster is not needed.
	@$(SUDO) systemctl disable --now postgresql >/dev/null 2>&1 || true

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/.installed ## Create .venv with Bulwark and its dev tools

lab-image: deps venv ## Build the cached Debian 12 lab images (debootstrap + podman import)
	$(SUDO) $(BIN)/bulwark lab image

lab-up: lab-image ## Start the lab: $(LAB_HOSTS) hosts, $(LAB_NEGLECTED) neglected
	$(SUDO) $(BIN)/bulwark lab up --hosts $(LAB_HOSTS) $(addprefix --neglected ,$(LAB_NEGLECTED))

lab-status: venv ## Show the lab hosts
	$(SUDO) $(BIN)/bulwark lab status

lab-down: venv ## Remove the lab hosts and the generated inventory
	$(SUDO) $(BIN)/bulwark lab down

demo: lab-up ## The main job on the lab: harden every host, then show what changed
	bash tools/demo.sh

test: lab-image test-unit test-integration test-molecule ## Everything: unit, integration, Molecule
	@echo "make test: all suites passed"

test-unit: venv ## Fast Python unit tests
	$(BIN)/pytest -q tests/unit

test-integration: deps venv ## Integration tests: real restic, moto S3, PostgreSQL, sshd, lab
	$(BIN)/pytest -q tests/integration

test-molecule: lab-image ## Every Molecule scenario: create, converge, idempotence, verify, destroy
	@test -n "$(SCENARIOS)" || { echo "no Molecule scenarios found"; exit 1; }
	@for s in $(SCENARIOS); do \
		echo "=== molecule test -s $$s"; start=$$(date +%s); \
		$(BIN)/molecule test -s $$s || { echo "molecule scenario $$s FAILED"; exit 1; }; \
		echo "=== $$s passed in $$(( $$(date +%s) - start ))s"; \
	done

bench: deps venv ## Benchmarks (not part of make test): writes bench/RESULTS.md
	cd bench && ../$(BIN)/python bench_backup.py
	cd bench && ../$(BIN)/python bench_drill.py
	cd bench && ../$(BIN)/python bench_hardening.py

lint: venv ## ansible-lint (production profile) and ruff
	$(BIN)/ansible-lint --profile production playbooks roles
	$(BIN)/ruff check tools backup tests

clean: ## Remove caches (keeps .venv and images)
	rm -rf .pytest_cache .ruff_cache reports
