# make book : venv + install, generate/load the default study area, execute every notebook with
#             papermill (PROFILE, default quick), build the Jupyter Book into _build/html
# make test : ruff, execute the notebooks + build the book (profile quick), then the unit tests
# make lab  : JupyterLab on the project's kernel ("fcad"), for working with the notebooks
# GPU users (NVIDIA, Linux): add GPU=1 to any target, e.g. `make book GPU=1 PROFILE=paper`; it
# installs the `gpu` extra (tensorflow[and-cuda]) instead of `cpu` (tensorflow-cpu). book/gpu.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= quick
GPU ?= 0
BACKEND := $(if $(filter 1 yes true,$(GPU)),gpu,cpu)
# JupyterLab listens on localhost only; LAB_ARGS="--ip=0.0.0.0 --port 8888" to reach it from outside
LAB_ARGS ?=

.PHONY: install book notebooks test lint lab clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the stamp names the backend, so switching GPU=0/1 reinstalls; pip removes the other TensorFlow
# first, because the two wheels both install the `tensorflow` package
$(VENV)/.installed-$(BACKEND): pyproject.toml | $(BIN)/python
	@if [ "$(BACKEND)" = gpu ]; then $(BIN)/python -m pip uninstall --quiet -y tensorflow-cpu || true; \
	 elif [ "$$(uname -m)" = x86_64 ]; then $(BIN)/python -m pip uninstall --quiet -y tensorflow || true; fi
	$(BIN)/python -m pip install --quiet -e ".[$(BACKEND),book,dev]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(VENV)/.installed-$(BACKEND)

book: install
	$(BIN)/python -m fcad_book.pipeline --profile $(PROFILE)

notebooks: install
	$(BIN)/python -m fcad_book.pipeline --profile $(PROFILE) --no-book

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/python -m fcad_book.pipeline --profile quick
	FCAD_REQUIRE_EXECUTED=1 $(BIN)/python -m pytest -q -m "slow or not slow"

lab: install
	$(BIN)/python -m pip install --quiet -e ".[$(BACKEND),book,dev,lab]"
	$(BIN)/python -m ipykernel install --sys-prefix --name fcad --display-name "Python (fcad_lib)"
	$(BIN)/jupyter lab --notebook-dir=. $(LAB_ARGS) $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

clean:
	rm -rf _build book/executed runs
