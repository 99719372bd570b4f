# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export TSUNAGU_DATA_DIR ?= $(CURDIR)/var

.PHONY: install run test test-browser lint typecheck migrations-check check demo messages vendor clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: demo
	# The demo runs without a second factor; every page shows a banner saying so.
	TSUNAGU_DEBUG=1 TSUNAGU_DEMO=1 TSUNAGU_REQUIRE_MFA=0 $(BIN)/tsunagu runserver 127.0.0.1:$(PORT)

# Migrate and load the demo data (idempotent), without serving.
demo: install
	TSUNAGU_DEBUG=1 TSUNAGU_DEMO=1 $(BIN)/tsunagu migrate --no-input
	TSUNAGU_DEBUG=1 TSUNAGU_DEMO=1 $(BIN)/tsunagu demo

# The whole suite. Exit code 5 (no tests collected) is a failure, not a pass.
test: install
	$(BIN)/pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

# Only the browser tests (Playwright driving Debian's chromium; see the README).
test-browser: install
	$(BIN)/pytest -q -k browser; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy tsunagu

migrations-check: install
	$(BIN)/tsunagu makemigrations --check --dry-run

check: lint typecheck migrations-check

messages: install
	for app in tsunagu/*/; do if [ -d $$app/locale ]; then (cd $$app && ../../$(BIN)/django-admin makemessages -l ja -l en --no-obsolete >/dev/null && ../../$(BIN)/django-admin compilemessages >/dev/null); fi; done

# Refresh the vendored browser libraries from the versions pinned in package-lock.json.
vendor:
	npm ci --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE static/vendor/axe-core/

clean:
	rm -rf $(VENV) var
