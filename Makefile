# Two commands set up and check everything on a fresh machine (python3 >= 3.11, make, node, npm):
#   make generate   # install, validate the spec, regenerate generated_client/
#   make test       # install, check generated code is in step, lint, type-check, run the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
NODE_BIN := node_modules/.bin
PYTEST_ARGS ?=

.PHONY: help install generate check-generated lint test
.PHONY: spec check-breaking

help:
	@echo "make generate        validate openapi/imagineo.yaml and regenerate generated_client/"
	@echo "make test            check-generated + lint + the whole test suite (what CI runs)"
	@echo "make check-generated fail with a diff if generated_client/ is out of step with the spec"
	@echo "make lint            ruff + mypy --strict on hand-written code"
	@echo "make install         .venv with the project (editable) and dev tools; npm tools into node_modules/"
	@echo "make spec            bundled spec (YAML, JSON), offline HTML reference, TS types into dist/spec/"
	@echo "make check-breaking  fail, listing each change, if the spec breaks clients of BASE (make check-breaking BASE=v1.0.0)"

install: $(VENV)/.installed node_modules/.installed

# Re-run when the dependency lists change; the stamp file records a finished install.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (set PYTHON=...)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

generate: install
	$(PY) generator/generate.py

check-generated: install
	$(PY) generator/generate.py --check

lint: install
	$(BIN)/ruff check overlay generator tests
	$(BIN)/ruff format --check overlay generator tests
	$(BIN)/mypy --strict overlay/imagineo

test: check-generated lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Artefacts for other-language teams (docs/for-other-languages.md); dist/ is not committed.
spec: install
	rm -rf dist/spec
	$(PY) tools/build_spec.py --out dist/spec

# BASE: a git ref; left empty, tools/check_breaking.mjs takes the last tag, else origin/main, else HEAD~1.
BASE ?=
check-breaking: node_modules/.installed
	node tools/check_breaking.mjs --base "$(BASE)"
