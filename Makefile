PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= test

.PHONY: demo test lint bench clean

$(BIN)/activate: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $(BIN)/activate

demo: $(BIN)/activate
	$(BIN)/python -m lime_datasets.demo

test: $(BIN)/activate
	$(BIN)/ruff check lime_datasets tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(BIN)/activate
	$(BIN)/ruff check lime_datasets tests benchmarks

bench: $(BIN)/activate
	$(BIN)/python benchmarks/generate_throughput.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
