# Otklik task runner. `make demo` and `make test` are the README's two commands; CI calls `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint migrations-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/otklik demo

test: $(STAMP)
	scripts/test.sh

migrations-check: $(STAMP)
	DJANGO_SETTINGS_MODULE=store.settings $(BIN)/python -m django makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
