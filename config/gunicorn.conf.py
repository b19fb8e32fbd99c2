"""gunicorn's settings for the Procfile's `web` line; every value can come from env vars.

Threaded workers: a client that sends its request slowly holds one thread
while it dribbles, not a whole process, so 50 slow connections leave the
other threads serving pages. Production still belongs behind a buffering
proxy (see the README): threads are many, not unlimited.
"""

import os


def _number(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


bind = f"{os.environ.get('BIND_ADDRESS') or '0.0.0.0'}:{_number('PORT', 8000)}"
workers = _number("WEB_CONCURRENCY", 2)
worker_class = "gthread"
threads = _number("WEB_THREADS", 64)
# Requests are short (uploads are checked in well under a second, the photo work
# runs in Celery), so a worker silent for this long is stuck and is replaced.
timeout = 30
graceful_timeout = 30
keepalive = 5
accesslog = "-"
