# Herald: `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

# The iCal tests also expand exports with Thunderbird's ical.js, when npm is here.
NPM    := $(shell command -v npm 2>/dev/null)
JS     := tests/js/node_modules/.installed
ifneq ($(NPM),)
TEST_DEPS := $(JS)
endif

.PHONY: run test lint bench schema clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## run: the engine on the sample files, publishing to the built-in site channel (public/); Ctrl-C stops it
run: $(STAMP)
	$(BIN)/herald validate content_calendar.yaml
	$(BIN)/herald plan --calendar content_calendar.yaml --days 7
	$(BIN)/herald run --calendar content_calendar.yaml --status status.yaml

$(JS): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --silent --no-audit --no-fund
	@touch $@

## test: the linter, the type checker (strict on campaigns/ and status/) and the whole test suite
test: $(STAMP) $(TEST_DEPS)
	$(BIN)/ruff check .
	$(BIN)/mypy campaigns status scheduler
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy campaigns status scheduler

## bench: speed and memory figures (see bench/README.md)
bench: $(STAMP)
	$(BIN)/python bench/bench_calendar.py
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_status.py
	$(BIN)/python bench/bench_feeds.py
	$(BIN)/python bench/bench_startup.py

## schema: regenerate the committed JSON Schema
schema: $(STAMP)
	$(BIN)/herald schema > schema/content_calendar.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info tests/js/node_modules
