# Everything runs from .venv, created and filled by `make setup` with only python3 on the PATH.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench asyncapi clean browser chaos

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/madoguchi up

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The browser tests drive Debian's chromium; install it when missing (needs root and apt).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipaexfont; }

test: lint browser
	$(BIN)/pytest

# The long fault-injection tests (`@pytest.mark.chaos`), which `make test` leaves out.
chaos: setup
	$(BIN)/pytest -m chaos

bench: setup
	$(BIN)/python -m bench

asyncapi: setup
	$(BIN)/madoguchi asyncapi --out docs/asyncapi.json

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
