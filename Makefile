# make book : venv + install, generate/load the default study area, execute every notebook with
#             papermill (PROFILE, default quick), build the Jupyter Book into _build/html
# make test : ruff, execute the notebooks + build the book (profile quick), then the unit tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= quick
# CPU wheel by default; GPU users: make book TF=tensorflow[and-cuda] PROFILE=paper
TF ?=

.PHONY: install book notebooks test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[book,dev]" $(TF)
	touch $@

install: $(VENV)/.installed

book: install
	$(BIN)/python -m fcad_lib.tooling.pipeline --profile $(PROFILE)

notebooks: install
	$(BIN)/python -m fcad_lib.tooling.pipeline --profile $(PROFILE) --no-book

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/python -m fcad_lib.tooling.pipeline --profile quick
	FCAD_REQUIRE_EXECUTED=1 $(BIN)/python -m pytest -q -m "slow or not slow"

clean:
	rm -rf _build book/executed runs
