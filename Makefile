# Byråportalen. `make run` and `make test` are the two commands; everything
# else is installed into .tools (uv) and .venv (the project) on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
# pyenv resolves .python-version; otherwise any python3.13 on PATH.
PYTHON ?= $(shell pyenv which python 2>/dev/null || command -v python$(PYTHON_VERSION) || command -v python3)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

# `make test` runs against real services; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/byraportalen
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: help install run test lint fmt typecheck messages bench fuzz clean imports

help:
	@echo "make run    – install into .venv and serve http://127.0.0.1:8000 with demo data (SQLite)"
	@echo "make test   – lint, type checks and the whole suite on PostgreSQL and Redis"
	@echo "make lint / fmt / typecheck / messages"
	@echo "make imports – cross-app import counts and cycles (README, \"Layers\")"
	@echo "make fuzz   – hypothesis over every form endpoint for several minutes (long profile)"
	@echo "make bench  – seed a large PostgreSQL database once, load the main pages under gunicorn"

$(UV):
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_VERSION) not found: install it (pyenv install $(PYTHON_VERSION))"; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

run: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_firm_change
	@echo "Mail is written to var/mail/, SMS to var/sms/ (a file per message). Open http://127.0.0.1:8000 (logins above and in README.md)."
	$(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/lint-imports --no-cache

imports: install
	$(PY) -m tests.import_graph $(IMPORTS_ARGS)

typecheck: install
	$(VENV)/bin/mypy .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(PY) manage.py makemessages -l en --no-obsolete --no-location --ignore=.venv --ignore=.tools --ignore=var --ignore=tests
	$(PY) manage.py compilemessages -l en

test: install lint typecheck
	DJANGO_ENV=test DATABASE_URL=sqlite://:memory: \
		$(PY) manage.py makemigrations --check --dry-run -v 0 || { echo "Missing migrations: run manage.py makemigrations"; exit 1; }
	DJANGO_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(PY) -m pytest $(PYTEST_ARGS)

# Hypothesis over every form endpoint with the long profile (several minutes);
# how many inputs each form got is written to var/fuzz-report.tsv.
fuzz: install
	@mkdir -p var && rm -f var/fuzz-report.tsv
	DJANGO_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		HYPOTHESIS_PROFILE=long FUZZ_REPORT=var/fuzz-report.tsv \
		$(PY) -m pytest -p no:cacheprovider tests/test_fuzz_forms.py -q $(PYTEST_ARGS)
	@awk -F'\t' '{n+=$$2; s+=$$3; printf "%-28s %6d inputs %7.1f s\n", $$1, $$2, $$3} END {printf "%-28s %6d inputs %7.1f s\n", "total", n, s}' var/fuzz-report.tsv

# Pages at firm scale under gunicorn, on a database of their own (README, "Benchmarks").
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/byraportalen_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
BENCH_ARGS ?=

bench: install
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m tests.bench.bench_pages $(BENCH_ARGS)

clean:
	rm -rf .venv .tools var test-artifacts
