"""gunicorn's settings for the Procfile's `web` line; every value can come from env vars.

Threaded workers: a client that sends its request slowly holds one thread
while it dribbles, not a whole process, so 50 slow connections leave the
other threads serving pages. Production still belongs behind a buffering
proxy (see the README): threads are many, not unlimited.
"""

import ctypes
import ctypes.util
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

# Memory. A 40 MP TIFF is decoded in full to be checked (120 MB), in whichever thread
# took it; glibc keeps what such uploads freed in per-thread arenas, so after a few
# at once a web process stayed at 1-1.4 GB. Handing the free pages back after each
# upload brings it down at once: one process went from 96 MB to 490 MB over three
# rounds of six concurrent 40 MP TIFF uploads, and to 140 MB with the trim
# (test_slow_clients.py). A process is also replaced after this many requests,
# against anything that still grows.
max_requests = _number("WEB_MAX_REQUESTS", 5000)
max_requests_jitter = _number("WEB_MAX_REQUESTS_JITTER", 500)


def _trimmer():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim with
        return None


_malloc_trim = _trimmer()


def post_request(worker, req, environ, resp) -> None:
    """After an upload, give glibc's free pages back to the system (a few ms)."""
    if _malloc_trim is not None and req.method == "POST":
        _malloc_trim(0)
