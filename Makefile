# Helpdesk developer commands. Everything runs in a local virtual environment (.venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo check test bench bench-quick package clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Helpdesk needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

## run: set up and start Helpdesk on its embedded SQLite database
run: $(STAMP)
	$(BIN)/python main.py

## demo: start with a demo shop's history in ./.data/demo (sign-in details are printed)
demo: $(STAMP)
	$(BIN)/python main.py serve --demo --data-dir .data/demo

## check: the fast tier for the edit loop: services, API, the UI's controller, the database layer and the
## channels' fakes on SQLite, plus pyflakes-level lint; no browser, binary, PostgreSQL or Dovecot (about a minute)
check: $(STAMP)
	$(BIN)/python packaging/fast_tests.py

## test: set up and run the whole test suite twice, side by side: on SQLite, and on a private
## PostgreSQL (whose report follows the SQLite pass's); installs Chromium, Xvfb and PostgreSQL via
## apt when it can. One pass alone: .venv/bin/python -m pytest [--database postgresql]
test: $(STAMP)
	@bash scripts/system-deps.sh
	@if $(BIN)/python -m tests.pgserver --available; then \
		log=$$(mktemp); \
		$(BIN)/python -m pytest --database postgresql -p no:cacheprovider > "$$log" 2>&1 & postgresql=$$!; \
		$(BIN)/python -m pytest; sqlite=$$?; \
		wait $$postgresql; pg=$$?; \
		echo; echo "================ the PostgreSQL pass (it ran beside the SQLite pass) ================"; \
		cat "$$log"; rm -f "$$log"; \
		test $$sqlite -eq 0 && test $$pg -eq 0; \
	else \
		$(BIN)/python -m pytest; sqlite=$$?; \
		echo "note: PostgreSQL is not installed, so the PostgreSQL pass was skipped (apt-get install postgresql)"; \
		exit $$sqlite; \
	fi

## package: build this OS's release files into dist/release (the one file, a .deb on Linux, their
## SHA-256 sums), then smoke-test the built file: the same scripts the release workflow runs
package: $(STAMP)
	$(BIN)/python packaging/build.py --dist dist --work build/pyinstaller
	$(BIN)/python packaging/smoke.py --built dist

## bench: every benchmark, each printing its table (figures go to docs/performance.md); hours
bench: $(STAMP)
	@bash scripts/system-deps.sh
	$(BIN)/python bench/all.py

## bench-quick: the same measurements on small data, about five minutes
bench-quick: $(STAMP)
	@bash scripts/system-deps.sh
	$(BIN)/python bench/all.py --quick

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
