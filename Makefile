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
# Scenarios in `make test`, longest first (measured 2026-12-06, fresh clone: system ~42,
# access ~16, backup_agent ~18, neglected ~9 min beside the integration suite's ~40; two at a
# time, system's slot and the other three end within a minute of each other). `lynis` (the whole site.yml on a neglected host, then
# the Lynis hardening index) runs on its own: `make test-molecule SCENARIOS=lynis`.
SCENARIOS ?= system access backup_agent neglected

.PHONY: help deps venv lab-image lab-up lab-down lab-status demo test test-unit \
	test-integration test-molecule test-evidence bench lint clean

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

LAB_INV := inventories/lab
# The demo shows what changed, not a timing line per task (profile_tasks is for bench/).
demo: export ANSIBLE_CALLBACKS_ENABLED = ansible.posix.timer
demo: lab-up ## The main job on the lab: harden, scan, back up, drill, report
	@echo "== 1/7 credential scan BEFORE hardening (informational: the neglected host has defaults)"
	-$(BIN)/bulwark scan-creds -i $(LAB_INV) --user root --user admin --user pi --user guest
	@echo "== 2/7 harden every host with playbooks/site.yml (only changed tasks are shown)"
	ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false \
		$(BIN)/ansible-playbook -i $(LAB_INV) playbooks/site.yml
	@echo "== 3/7 credential scan AFTER hardening: nothing may be accepted"
	$(BIN)/bulwark scan-creds -i $(LAB_INV)
	@echo "== 4/7 deploy backups (lab S3 endpoint, restic + Bulwark, timers)"
	ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false \
		$(BIN)/ansible-playbook -i $(LAB_INV) playbooks/lab-s3.yml playbooks/backup.yml
	@echo "== 5/7 run the nightly backup once on every host, as its timer would"
	$(BIN)/ansible all -i $(LAB_INV) -b -m ansible.builtin.command \
		-a "systemctl start bulwark-backup.service"
	@echo "== 6/7 restore drill on every host (reports fetched to reports/drills/)"
	$(BIN)/ansible-playbook -i $(LAB_INV) playbooks/restore_drill.yml
	@echo "== 7/7 compliance evidence report (exit 1 = findings listed in the report)"
	$(BIN)/bulwark report -i $(LAB_INV) --waivers $(LAB_INV)/waivers.yml \
		--out reports/compliance || test $$? -eq 1
	@echo "== backup status of every host"
	@$(BIN)/ansible all -i $(LAB_INV) -b -m ansible.builtin.command \
		-a "/opt/bulwark/bin/bulwark backup status" | sed 's/ | CHANGED | rc=0 >>/:/'
	@echo "== fleet status (each lab host has its own S3 endpoint, so each reads its own store)"
	@$(BIN)/ansible all -i $(LAB_INV) -b -m ansible.builtin.command \
		-a "/opt/bulwark/bin/bulwark fleet status --config /etc/bulwark/backup.yml" \
		| sed 's/ | CHANGED | rc=0 >>/:/'
	@echo "Compliance report: $(CURDIR)/reports/compliance/report.html"

# Integration tests and the Molecule scenarios run side by side: both spend much of their time
# waiting on podman, apt and SSH, and they use disjoint containers and ports.
test: lab-image test-unit ## Everything: unit, integration, Molecule
	@$(MAKE) --no-print-directory -j 2 test-integration test-molecule
	@echo "make test: all suites passed"

test-unit: venv ## Fast Python unit tests
	$(BIN)/pytest -q tests/unit

test-integration: deps venv ## Integration tests: real restic, moto S3, PostgreSQL, sshd, lab
	$(BIN)/pytest -q --durations=20 tests/integration

test-evidence: deps venv lab-image ## Every report check against a neglected and a site.yml-hardened host with planted violations (long)
	BULWARK_EVERY_CHECK=1 $(BIN)/pytest -q -s tests/integration/report/test_every_check.py

# Two scenarios at a time: much of a converge waits on apt and podman, not on the CPU.
MOLECULE_JOBS ?= 2
test-molecule: lab-image ## Every Molecule scenario: create, converge, idempotence, check, verify, destroy
	@test -n "$(SCENARIOS)" || { echo "no Molecule scenarios found"; exit 1; }
	@mkdir -p build/molecule-logs
	@printf '%s\n' $(SCENARIOS) | xargs -P $(MOLECULE_JOBS) -I{} sh -c '\
		start=$$(date +%s); \
		if $(BIN)/molecule test -s {} > build/molecule-logs/{}.log 2>&1; then \
			echo "=== molecule {} passed in $$(( $$(date +%s) - start ))s"; \
		else \
			tail -n 150 build/molecule-logs/{}.log; echo "=== molecule {} FAILED"; exit 255; fi'

bench: deps venv ## Benchmarks (not part of make test): writes bench/RESULTS.md
	cd bench && ../$(BIN)/python bench_backup.py
	cd bench && ../$(BIN)/python bench_drill.py
	cd bench && ../$(BIN)/python bench_hardening.py

lint: venv ## ansible-lint (production profile) and ruff
	$(BIN)/ansible-lint --profile production playbooks roles
	$(BIN)/ruff check tools backup tests molecule bench

clean: ## Remove caches (keeps .venv and images)
	rm -rf .pytest_cache .ruff_cache reports
