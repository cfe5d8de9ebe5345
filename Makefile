# newsdigest — every target creates the virtualenv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Quiet, offline Prefect: no analytics, no noisy logs.
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_LOGGING_LEVEL ?= WARNING
export PREFECT_SERVER_LOGGING_LEVEL ?= CRITICAL

.PHONY: setup run test lint eval bench bench-scale screenshot serve clean chaos

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres,dask]'
	touch $(STAMP)

run: setup
	$(BIN)/newsdigest run

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

eval: setup
	$(BIN)/python tests/evaluation.py
	$(BIN)/python tests/relevance_eval.py

# The bench extra (datasketch, compared side by side) is installed on first use only.
$(VENV)/.bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

bench: setup $(VENV)/.bench
	$(BIN)/python scripts/bench.py

# Dask workers vs threads, PostgreSQL vs SQLite, run vs a trivial flow (medians of ratios; ~22 minutes)
bench-scale: setup
	$(BIN)/python scripts/bench_scale.py --rounds 3 --run-rounds 7

screenshot: setup
	$(BIN)/python scripts/screenshot.py

serve: setup
	$(BIN)/newsdigest serve

clean:
	rm -rf $(VENV) state/*.db* state/digests state/outbox state/screenshots

TRIALS ?= 20
chaos: setup
	$(BIN)/python scripts/chaos.py --trials $(TRIALS)
