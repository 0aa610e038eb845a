# Herald: `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Every install is the same: the exact versions and hashes of the lock (requirements/lock.py), then
# Herald itself without dependencies. The lock holds .[all,test]; `make lock` renews it.
LOCK   := requirements/dev.txt
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(wildcard $(LOCK)) | cksum | cut -d' ' -f1)
UV     := uv==0.13.9

# The iCal tests also expand exports with Thunderbird's ical.js, when npm is here.
NPM    := $(shell command -v npm 2>/dev/null)
JS     := tests/js/node_modules/.installed
ifneq ($(NPM),)
TEST_DEPS := $(JS)
endif
# The browser tests drive a real headless Chromium: Debian's package, installed when missing
# (as root, as on CI's machines; Playwright's own browser download is not used).
CHROMIUM := $(shell command -v chromium 2>/dev/null)
ifeq ($(CHROMIUM),)
TEST_DEPS += browser
endif

.PHONY: run test check lint lock lock-check bench schema clean browser screenshots

$(STAMP): pyproject.toml $(wildcard $(LOCK)) | lock-check  # a missing lock: lock-check says so
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

## lock: renew the lock files from pyproject.toml (needs the package index; uv in a scratch venv)
lock:
	@test -x .lock-venv/bin/uv || ($(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet '$(UV)')
	$(PYTHON) requirements/lock.py --uv .lock-venv/bin/uv

## lock-check: the lock files were made from pyproject.toml as it is (offline: a digest in their header)
lock-check:
	@$(PYTHON) requirements/lock.py --check

## run: the engine on a scratch copy of the sample files in run/ (git-ignored: the checkout stays clean),
## publishing to the built-in site channel (run/public/); Ctrl-C stops it
RUN := run
run: $(STAMP) $(RUN)/content_calendar.yaml $(RUN)/status.yaml
	$(BIN)/herald validate $(RUN)/content_calendar.yaml --status $(RUN)/status.yaml
	$(BIN)/herald plan --calendar $(RUN)/content_calendar.yaml --days 7
	$(BIN)/herald run --calendar $(RUN)/content_calendar.yaml --status $(RUN)/status.yaml

# seeded once from the tracked samples; edits (yours, the CLI's) stay in the copy
$(RUN)/%.yaml:
	@mkdir -p $(RUN)
	cp $*.yaml $@

$(JS): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --silent --no-audit --no-fund
	@touch $@

browser:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-liberation >/dev/null; \
	else echo "browser tests need Chromium: install Debian's chromium package (they skip without it, except in CI)"; fi

## test: the lock is current, the linter, the type checker (strict on campaigns/ and status/), the whole suite
test: lock-check $(STAMP) $(TEST_DEPS)
	$(BIN)/ruff check .
	$(BIN)/mypy campaigns status scheduler
	$(BIN)/python -m pytest

## check: the same without the slow tests (marked so, or listed in tests/slow.txt): under a minute
check: lock-check $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy campaigns status scheduler
	$(BIN)/python -m pytest -m "not slow"

## screenshots: the README's pictures of the status page and the review room (docs/img/), in Chromium
screenshots: $(STAMP)
	HERALD_SCREENSHOTS=write $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_screenshots.py

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
	$(BIN)/python bench/bench_suggest.py
	$(BIN)/python bench/bench_hold.py

## schema: regenerate the committed JSON Schema
schema: $(STAMP)
	$(BIN)/herald schema > schema/content_calendar.schema.json

clean:
	rm -rf $(RUN) $(VENV) .lock-venv .pytest_cache .ruff_cache build *.egg-info tests/js/node_modules
