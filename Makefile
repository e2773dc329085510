# The commands people type. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTALLED := $(VENV)/.installed

# Debian packages: WeasyPrint's libraries and fonts, Graphviz (the workflow diagram) and ICU
# (PyICU builds against it: lookalike identifiers) to run; Chromium, the PDF tools, Redis
# (the production set-up test) and wrk (the HTTP throughput benchmark) to test.
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 graphviz libicu-dev pkg-config g++
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils qpdf redis-server wrk

.PHONY: run test lint format bench screenshots system-packages-run system-packages-test clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

define install_missing
	@missing=""; for pkg in $(1); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

system-packages-run:
	$(call install_missing,$(RUN_PACKAGES))

system-packages-test:
	$(call install_missing,$(TEST_PACKAGES))

# The web server and the job worker together; Ctrl-C stops both. Mails are printed here.
run: system-packages-run $(INSTALLED)
	$(FLASK) db upgrade
	$(FLASK) demo
	export MAIL_BACKEND=$${MAIL_BACKEND:-console}; \
	trap 'kill 0' INT TERM EXIT; \
	$(FLASK) jobs worker & \
	$(FLASK) run --host 127.0.0.1 --port 5000

test: system-packages-test $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: system-packages-test $(INSTALLED)
	$(BIN)/python -m bench.scope_lookup
	$(BIN)/python -m bench.task_checks
	$(BIN)/python -m bench.outbox
	$(BIN)/python -m bench.service_levels
	$(BIN)/python -m bench.api_throughput
	$(BIN)/python -m bench.imports

# The README's screenshots, from the demo in Chromium at 1366 and 390 px wide.
screenshots: system-packages-test $(INSTALLED)
	$(BIN)/python -m docs.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
