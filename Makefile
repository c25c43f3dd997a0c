# make run   - install into .venv, migrate, seed demo data, serve on http://127.0.0.1:$(PORT)
# make test  - install into .venv if needed and run the test suite
# make lock  - pin the runtime dependencies with hashes in requirements.lock
# make bench - serve with gunicorn as production does, load it, print the table (docs/benchmark.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
DEV_ENV := DJANGO_DEBUG=1

.PHONY: install run test bench bench-wrk lint lock clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo --base-url http://127.0.0.1:$(PORT)
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	@command -v wrk >/dev/null 2>&1 || $(MAKE) --no-print-directory bench-wrk
	$(BIN)/python -m bench.run

# wrk drives the load when installed: it leaves far more of a small machine's CPU to the server
# than Python does. Where it cannot be installed (no root, no apt), bench.run uses its Python
# load generator instead.
bench-wrk:
	-@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing wrk (Debian package) for the load generator"; \
	  apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null) || \
	  echo "wrk could not be installed: using the Python load generator"; \
	else \
	  echo "wrk is not installed: using the Python load generator (apt-get install wrk)"; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# requirements.lock: the runtime dependencies pinned with hashes (the Docker image installs it).
# Run after changing the dependencies in pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet "pip-tools>=7.4,<8"
	$(BIN)/pip-compile --quiet --strip-extras --generate-hashes --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-*
