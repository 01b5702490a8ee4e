# Two entry points (see README): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# Tests and CI read data from the shared folder beside the checkout.
TEST_DATA ?= $(abspath ../shared/data)

.PHONY: run test install clean

$(BIN)/toyscope: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/toyscope

install: $(BIN)/toyscope

run: install
	$(BIN)/toyscope run xor-basins

# What the tests need beyond toyscope[dev]: PyTorch's CPU build (the importer tests run it for
# real; this exact build installs by name without the CUDA packages). The browser tests use
# Debian's chromium (.ci/run installs it) and skip with a reason where there is none.
$(VENV)/.test-extras: $(BIN)/toyscope
	$(BIN)/pip install --quiet "torch==2.13.0+cpu"
	touch $@

# Two pytest-xdist workers, one test file each at a time (module fixtures are built once): most
# tests compile and run single-threaded, so two workers use both cores (CI has 2).
TEST_WORKERS ?= 2

test: install $(VENV)/.test-extras
	TOYSCOPE_DATA=$(TEST_DATA) MPLBACKEND=Agg $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

clean:
	rm -rf $(VENV) build src/*.egg-info
