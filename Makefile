# The two commands of the README: `make demo` and `make test`. Each sets up .venv (once, and again
# whenever setup.cfg or pyproject.toml change) with the package and its extras from the registries.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The pytest arguments; e.g. `make test PYTEST_ARGS="-k hf -x"`.
PYTEST_ARGS ?=

.PHONY: demo test lint bench cards clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned: 2.13.0 is a CPU build kept on these machines' local disk, while an
	# unpinned torch would pull a CUDA build of several GB.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[all,test,torch,jax]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m lime_datasets.demo

test: $(STAMP)
	$(BIN)/ruff check lime_datasets tests benchmarks examples
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check lime_datasets tests benchmarks examples

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

cards: $(STAMP)
	$(BIN)/python -m lime_datasets.cards --out dataset_cards --overwrite
	$(BIN)/python -m lime_datasets.tfds.metadata

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
