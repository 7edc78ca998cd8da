# Two commands do all the set-up: `make demo` and `make test` (see README).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OIDC   := devtools/oidc/node_modules/.package-lock.json
AXE    := devtools/browser/node_modules/.package-lock.json

.PHONY: demo test install system-deps lint bench clean screenshots

$(PY):
	python3 -m venv $(VENV)

$(STAMP): setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,demo]'
	touch $@

$(OIDC): devtools/oidc/package.json devtools/oidc/package-lock.json
	npm ci --prefix devtools/oidc --no-audit --no-fund --loglevel=error

## axe-core for the browser tests' accessibility scans
$(AXE): devtools/browser/package.json devtools/browser/package-lock.json
	npm ci --prefix devtools/browser --no-audit --no-fund --loglevel=error

## the message catalogues compiled (.po -> .mo) for the source tree the editable install uses
install: $(STAMP) $(OIDC) $(AXE)
	$(PY) -m devtools.i18n compile

system-deps:
	bash devtools/system-deps.sh

## The demo console on http://127.0.0.1:8000/ with the OpenID provider on :8001,
## an embedded Redis and a worker. Ctrl-C stops everything.
demo: install
	$(PY) -m devtools.demo

## The lint, then the whole suite on SQLite and PostgreSQL, against real Redis, PostgreSQL,
## the OpenID provider and Chromium, which the tests start on private ports and stop.
## PYTEST_WORKERS pytest-xdist processes share the tests (each starts its own services);
## PYTEST_ARGS come last and win: `make test PYTEST_ARGS="-k foo -n0"` runs in one process.
PYTEST_WORKERS ?= 2
test: install lint system-deps
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## Benchmarks against baselines measured in the same run; writes bench-results.json.
bench: install system-deps
	$(PY) -m devtools.bench

## Every plugin page (the table in tests/test_layout_browser.py) photographed at 320 and
## 1280 px in the light theme and at 390 px in the dark one, as the demo account it is for,
## and again in German at 320 and 1280 px: build/screenshots/*.png, and index.html there to
## look at them all on one page, grouped by page.
screenshots: install system-deps
	rm -rf build/screenshots
	SCREENSHOTS=build/screenshots TEST_BACKENDS=sqlite $(PY) -m pytest -q \
	    tests/test_layout_browser.py -k fits_every_screen
	@echo "open build/screenshots/index.html"

## ruff, then mypy --strict on the package as installed (devtools/typecheck.py)
lint: install
	$(VENV)/bin/ruff check selfservice blueprints jobs tests demo devtools wsgi.py
	$(PY) -m devtools.typecheck

clean:
	rm -rf $(VENV) devtools/oidc/node_modules devtools/browser/node_modules build *.egg-info instance \
	       .typecheck
