# Two commands: `make run` serves the demo shop, `make test` runs every test. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export SHOPBRIDGE_DATA_DIR ?= $(CURDIR)/instance
PLUGIN_DIRS := $(wildcard plugins/*/pyproject.toml)
PLUGIN_EDITABLES := $(foreach p,$(PLUGIN_DIRS),-e $(dir $(p)))

.PHONY: run test bench lint translations screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the package definitions change, so a second `make run` starts at once.
$(VENV)/.installed: $(BIN)/python pyproject.toml $(PLUGIN_DIRS)
	$(BIN)/pip install --quiet -e . $(PLUGIN_EDITABLES)
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]' $(PLUGIN_EDITABLES)
	@touch $@

# Compiled catalogues (.mo) are build output, not source: made from the .po files on every run.
translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -d shopbridge/translations >/dev/null

run: translations
	$(BIN)/shopbridge db upgrade
	$(BIN)/shopbridge demo load
	PORT=$(PORT) $(BIN)/shopbridge serve --port $(PORT)

test: $(VENV)/.installed-test translations
	$(BIN)/ruff check shopbridge tests $(wildcard plugins bench)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test translations
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
