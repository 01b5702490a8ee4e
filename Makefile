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

test: install
	TOYSCOPE_DATA=$(TEST_DATA) MPLBACKEND=Agg $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build src/*.egg-info
