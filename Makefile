# Two commands for a fresh machine:
#   make run    install everything, ingest corpus/, serve the API and widget demo on http://127.0.0.1:8000
#   make test   install what the tests need and run them (CI runs this through .ci/run)
SHELL := /bin/bash
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
VENV := .venv/bin

.PHONY: run test test-fast setup setup-test ingest serve eval-ci lint typecheck

run: setup ingest serve

setup:
	scripts/setup.sh local,openai

setup-test:
	scripts/setup.sh local,openai,postgres,test
	scripts/install-browser.sh
	scripts/install-postgres.sh

ingest:
	$(VENV)/exchange-assistant ingest corpus

# The local demo server listens on 127.0.0.1 only, so it answers /v1/* without a key (the README's
# examples); a server reachable by others needs partner keys or EXCHANGE_ASSISTANT_API_TOKENS.
serve:
	EXCHANGE_ASSISTANT_ANONYMOUS_ACCESS=$${EXCHANGE_ASSISTANT_ANONYMOUS_ACCESS:-true} $(VENV)/exchange-assistant serve

# Lint and type check first: they take seconds, the suite minutes.
test: setup-test lint
	$(VENV)/python -m pytest -q

# The unit tier: pure logic with deterministic fakes (no models, no Chroma), in seconds.
test-fast:
	$(VENV)/python -m pytest -q tests/unit

lint: typecheck
	$(VENV)/ruff check assistant ingest evals tests

# mypy --strict on assistant, ingest and evals (configured in pyproject.toml)
typecheck:
	$(VENV)/python -m mypy
