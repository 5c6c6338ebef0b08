# The two commands of the README: `make demo` and `make test`. Each sets up .venv (once, and again
# whenever setup.cfg or pyproject.toml change) with the package and its extras from the registries.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The pytest arguments; e.g. `make test PYTEST_ARGS="-k hf -x"`.
PYTEST_ARGS ?=

.PHONY: demo test lint bench cards clean kernels docs docs-serve

# The extras installed for the demo, the tests and the benchmarks.
EXTRAS := all,test,torch,jax,rl,eval
# Registry downloads are sometimes cut off part-way through a file, and pip's own resumes (pip
# 25.1 and newer; older pips ignore the setting) can all fall in the same outage. So each install
# runs up to PIP_ATTEMPTS times, PIP_PAUSE seconds apart; later attempts reuse pip's cache.
PIP_ATTEMPTS ?= 4
PIP_PAUSE ?= 30
define pip_install_into
	attempt=1; \
	until PIP_RESUME_RETRIES=10 $(1)/bin/python -m pip install --quiet --retries 10 $(2); do \
	  if [ $$attempt -ge $(PIP_ATTEMPTS) ]; then \
	    echo "pip install failed $$attempt times; giving up" >&2; exit 1; \
	  fi; \
	  echo "pip install failed (attempt $$attempt); trying again in $(PIP_PAUSE) s" >&2; \
	  sleep $(PIP_PAUSE); attempt=$$((attempt + 1)); \
	done
endef
pip_install = $(call pip_install_into,$(VENV),$(1))

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(call pip_install,--upgrade pip)
	# torch first and pinned: 2.13.0 is a CPU build kept on these machines' local disk, while an
	# unpinned torch would pull a CUDA build of several GB.
	$(call pip_install,torch==2.13.0)
	$(call pip_install,-e ".[$(EXTRAS)]")
	touch $(STAMP)

# The tests of generation that run a second time on the numpy path, which runs where the compiled
# kernels are not built (no C compiler) or are switched off.
PURE_PYTHON_TESTS := tests/test_determinism.py tests/test_rng.py tests/test_sequences.py \
	tests/test_vocab.py tests/test_properties.py tests/test_substitution_ranges.py \
	tests/test_rewrite.py tests/test_checker.py tests/test_kernels.py

# The compiled kernels: the install builds them; this rebuilds them in place when their source
# changed since (setuptools skips an extension that is up to date). Venvs of Python 3.12 and newer
# have no setuptools unless asked for; there the kernels stay as the install built them.
kernels: $(STAMP)
	@if $(BIN)/python -c "import setuptools" 2>/dev/null; then \
	  $(BIN)/python setup.py --quiet build_ext --inplace; \
	else \
	  echo "no setuptools in $(VENV): the compiled kernels stay as the install built them"; \
	fi

demo: kernels
	$(BIN)/python -m lime_datasets.demo

LINTED := lime_datasets tests benchmarks examples setup.py _lime_datasets_autoload.py

test: kernels
	$(BIN)/ruff check $(LINTED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	LIME_DATASETS_PURE_PYTHON=1 $(BIN)/python -m pytest -q $(PURE_PYTHON_TESTS)

.PHONY: test-quick
# The edit-test loop: every test but those marked slow (killed builds, Beam, builds in
# subprocesses, larger sizes), in two processes: under two minutes on two cores. `make test`
# runs them all.
test-quick: kernels
	$(BIN)/ruff check $(LINTED)
	$(BIN)/python -m pytest -n 2 -m "not slow and not paper_scale" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)

# A venv with only the `tfds` extra, as a TFDS user installs it: `make bench` also times
# `tfds.load` there, since `import tensorflow` imports whatever Keras finds installed (.venv adds
# jax, scikit-learn and matplotlib to what the tfds extra brings: about 1.8 s more).
TFDS_VENV := $(VENV)-tfds

$(TFDS_VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(TFDS_VENV)
	$(call pip_install_into,$(TFDS_VENV),--upgrade pip)
	$(call pip_install_into,$(TFDS_VENV),".[tfds]")
	touch $@

bench: kernels $(TFDS_VENV)/.installed
	$(BIN)/python benchmarks/run_all.py --tfds-python $(TFDS_VENV)/bin/python

cards: $(STAMP)
	$(BIN)/python -m lime_datasets.cards --out dataset_cards --overwrite
	$(BIN)/python -m lime_datasets.tfds.metadata

# The documentation site (MkDocs), built into site/; fails on any warning (a broken link, a
# docstring mkdocstrings cannot read). Only the docs extra is needed: mkdocstrings reads the
# docstrings from the source, without importing the package's optional frameworks.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(call pip_install,--upgrade pip)
	$(call pip_install,-e ".[docs]")
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/mkdocs build --strict

docs-serve: $(DOCS_STAMP)
	$(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) $(TFDS_VENV) build dist site *.egg-info .pytest_cache .ruff_cache lime_datasets/core/_kernels*.so lime_datasets/tfds/_tfrecord*.so
