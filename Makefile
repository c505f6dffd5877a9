# Two commands do all the set-up on a fresh machine with Python >= 3.11 and pip:
#   make run    install regionplan into .venv and plan the bundled example (no credentials)
#   make test   install the test dependencies into .venv and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/regionplan plan --out out/

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.run --out benchmarks/results/

lint: $(VENV)/.installed-test
	$(BIN)/ruff check planner connectors app tests benchmarks
	$(BIN)/mypy planner connectors

clean:
	rm -rf $(VENV) out
