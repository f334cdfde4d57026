# flink-py — run `make help` for the targets.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test test-fast bench proto lint clean cluster-up cluster-down

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) ## Create the virtual environment and install flink-py into it

run: $(STAMP) ## Run examples/word_count.py on an embedded local cluster
	$(VENV)/bin/flink-py run examples/word_count.py

test: $(STAMP) ## Run the whole test suite (what CI runs)
	$(PY) -m pytest -q

test-fast: $(STAMP) ## Run the tests that start no real cluster processes
	$(PY) -m pytest -q -m "not slow"

bench: $(STAMP) ## WordCount throughput (ratio to a plain-Python loop), map_batches vs records, windows, checkpoints
	$(PY) bench/wordcount.py
	$(PY) bench/map_batches.py
	$(PY) bench/windows.py --sliding
	$(PY) bench/checkpoints.py

proto: $(STAMP) ## Regenerate the protobuf/gRPC code from proto/ (needs grpcio-tools)
	$(PY) -m pip install --quiet 'grpcio-tools>=1.70'
	$(PY) proto/generate.py

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache build *.egg-info
