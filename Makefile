# Two commands set everything up on a fresh machine: `make lab` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: lab test bench notebooks lint pretrain

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10 or newer is needed"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

## Open the series in JupyterLab.
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

lint: $(STAMP)
	$(BIN)/ruff check helpers tests benchmarks tools notebooks

## Run every test: lint, unit tests, the browser test and all notebooks through nbval.
test: lint
	$(BIN)/python -m pytest

## Print every benchmark's side-by-side figures.
bench: $(STAMP)
	$(BIN)/python -m benchmarks

## Train the TinyWorld 2 size ladder and write its weights into helpers/reference_models/ (41 minutes on 2 cores).
pretrain: $(STAMP)
	$(BIN)/python tools/pretrain.py

## Rebuild the .ipynb chapters from their paired .py sources and execute them top to bottom.
notebooks: $(STAMP)
	$(BIN)/python tools/build_notebooks.py
