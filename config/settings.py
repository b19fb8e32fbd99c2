"""One settings file for every environment; the differences are env vars.

Every setting a deployment may change is read here with a helper that fails
loudly on nonsense, and the README lists them all.
"""

import json
import os
import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name) or str(default)
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

# Commands that sign nothing (the CLI and the reports) run as the README shows
# them, with no SECRET_KEY: they get a random key that dies with the process,
# never a known one. The web and the worker still refuse to start without it.
KEYLESS_COMMANDS = (
    "portrait",
    "cutout",
    "quality",
    "bench",
    "clicks",
    "advice_report",
    "make_guide_figures",
    "make_home_figures",
)


def keyless_command(argv: list[str]) -> bool:
    return len(argv) > 1 and Path(argv[0]).name == "manage.py" and argv[1] in KEYLESS_COMMANDS


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and keyless_command(sys.argv):
    SECRET_KEY = secrets.token_urlsafe(50)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY in the environment (or DEBUG=1 for development)."
        )
    SECRET_KEY = "development-only-insecure-key"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "editor",
]

MIDDLEWARE = [
    # First: what any middleware below answers by itself gets the security headers too.
    "editor.policy.middleware.security_headers",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "editor.policy.middleware.api_errors",
    "editor.policy.middleware.service_unavailable",
    "editor.policy.middleware.api_same_origin",
    "editor.policy.downloads.cap",
    "editor.policy.uploads.guard",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Security. Behind TLS set HTTPS=1: secure cookies, redirects and HSTS follow.
HTTPS = envbool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if envbool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"  # job URLs are secrets: never send them elsewhere
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)
# Uploads per client and window; 0 turns the limit off (e.g. for a load test).
UPLOAD_RATE_LIMIT = envint("UPLOAD_RATE_LIMIT", 30)
UPLOAD_RATE_WINDOW = envint("UPLOAD_RATE_WINDOW", 600, minimum=1)
# Which request header holds the client's address: REMOTE_ADDR, or e.g.
# HTTP_X_FORWARDED_FOR when a proxy you trust sets it.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "REMOTE_ADDR")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "editor.web.context_processors.limits",
            ],
        },
    },
]

# No model of ours lives in SQL: jobs are files in storage plus a Celery
# result. The database is only Django's own bookkeeping.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DATABASE_PATH", BASE_DIR / "db.sqlite3"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]

# A job's files (editor/jobfiles.py) go through Django's default storage:
# a folder on this machine (filesystem), or an S3-compatible bucket (s3), which
# is what lets web and workers run on different machines. See the README.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "filesystem")
# A request waits on the bucket: a stalled one must become a quick 503, not a hung
# thread. Per call, in seconds; the attempts include the first (editor/jobs/storages.py).
S3_CONNECT_TIMEOUT = envint("AWS_S3_CONNECT_TIMEOUT", 2, minimum=1)
S3_READ_TIMEOUT = envint("AWS_S3_READ_TIMEOUT", 2, minimum=1)
S3_MAX_ATTEMPTS = envint("AWS_S3_MAX_ATTEMPTS", 2, minimum=1)
if STORAGE_BACKEND == "filesystem":
    _job_storage = {"BACKEND": "editor.jobs.storages.JobFileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    if not os.environ.get("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME.")
    _job_storage = {
        "BACKEND": "editor.jobs.storages.JobS3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            # For MinIO, Ceph, R2 or any other S3-compatible store; empty for AWS itself.
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            # Empty: boto3 finds credentials itself (an instance role, ~/.aws).
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
        },
    }
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be filesystem or s3, not {STORAGE_BACKEND!r}")
STORAGES = {
    "default": _job_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Photo limits, checked from the header before any pixel is decoded.
MAX_UPLOAD_MB = envint("MAX_UPLOAD_MB", 20, minimum=1)
MAX_MEGAPIXELS = envint("MAX_MEGAPIXELS", 40, minimum=1)
# Photos in one batch upload; each is its own job and counts against the rate limit.
MAX_BATCH_PHOTOS = envint("MAX_BATCH_PHOTOS", 20, minimum=1)
# The most one request of several photos may weigh, checked from its header. Photos are read
# and queued one at a time, but the whole body is parsed (to disk) before the first.
MAX_BATCH_MB = envint("MAX_BATCH_MB", 100, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Uploads and results are deleted this long after the job finished (and the pages say so).
JOB_RETENTION_SECONDS = envint("JOB_RETENTION_SECONDS", 3600, minimum=1)
# New uploads get a "busy, try again in a minute" 503 while this many wait (0: no cap),
# so that a backlog never grows longer than people will wait.
MAX_QUEUED_JOBS = envint("MAX_QUEUED_JOBS", 100)
# Look changes per client and per job in RENDER_RATE_WINDOW seconds, and retries per
# job; 0 turns a limit off. Renders of one job are coalesced besides (editor/services.py).
RENDER_RATE_LIMIT = envint("RENDER_RATE_LIMIT", 120)
JOB_RENDER_RATE_LIMIT = envint("JOB_RENDER_RATE_LIMIT", 60)
RETRY_LIMIT = envint("RETRY_LIMIT", 5)
RENDER_RATE_WINDOW = envint("RENDER_RATE_WINDOW", 600, minimum=1)

# Segmentation weights: the manifest names each file and its checksum.
MODELS_DIR = Path(os.environ.get("MODELS_DIR", BASE_DIR / "models"))
MODEL_MANIFEST = json.loads((BASE_DIR / "models" / "manifest.json").read_text())
SEGMENTATION_MODEL = os.environ.get("SEGMENTATION_MODEL", "u2net-int8")
if SEGMENTATION_MODEL not in MODEL_MANIFEST:
    raise ImproperlyConfigured(
        f"SEGMENTATION_MODEL must be one of {', '.join(MODEL_MANIFEST)}, not {SEGMENTATION_MODEL!r}"
    )

# Worker processes per machine, and the threads each gives one photo (the
# network and the tile work). By default one single-threaded process per core:
# `make loadtest` on 2 cores found it 36 % more jobs per minute than one
# process on both with int8, 13-19 % with fp32 (README, "Quality, speed and
# load — measured").
CELERY_WORKER_CONCURRENCY = envint("WORKER_CONCURRENCY", os.cpu_count() or 1, minimum=1)
WORKER_THREADS = envint(
    "WORKER_THREADS", max(1, (os.cpu_count() or 1) // CELERY_WORKER_CONCURRENCY), minimum=1
)

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# The rate limiter's counters. Short timeouts: a Redis outage must turn into a
# quick 503 page, not a hung request.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "softfocus",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}

# Celery
CELERY_BROKER_URL = REDIS_URL
# Plain Redis, but pages poll for results instead of subscribing (see editor/backends.py).
CELERY_RESULT_BACKEND = f"editor.jobs.backends:PollingRedisBackend+{REDIS_URL}"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = envint("JOB_SOFT_TIME_LIMIT", 60, minimum=1)
CELERY_TASK_TIME_LIMIT = envint("JOB_TIME_LIMIT", 90, minimum=1)
# Kept past the retention: the purge reads when a job finished from its result.
CELERY_RESULT_EXPIRES = 2 * JOB_RETENTION_SECONDS
# First analyses and new looks wait in queues of their own; workers take from
# both in turn, so neither starves the other (see editor/services.py).
JOBS_QUEUE = "jobs"
CELERY_TASK_DEFAULT_QUEUE = JOBS_QUEUE
# The photos of a batch wait in a third queue, so that one client's twenty photos
# cost another client's single upload at most one photo's wait, not twenty.
BULK_QUEUE = "bulk"
CELERY_TASK_QUEUES = {JOBS_QUEUE: {}, "renders": {}, BULK_QUEUE: {}}
CELERY_TASK_ROUTES = {"editor.tasks.render_job": {"queue": "renders"}}
# A job still "running" after this long lost its worker (the hard limit would
# have stopped it): the page offers a retry instead of waiting forever.
JOB_STALE_SECONDS = envint("JOB_STALE_SECONDS", CELERY_TASK_TIME_LIMIT + 30, minimum=1)
# A job still queued after this long was lost (say, a Redis without persistence
# restarted): the page offers a retry. Long, because a busy queue is not a lost one.
JOB_QUEUED_STALE_SECONDS = envint("JOB_QUEUED_STALE_SECONDS", 1800, minimum=1)
# A photo is one long job: take one at a time, and acknowledge only when it is
# done so that a worker killed mid-job hands it to the next worker.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# An unacknowledged job (its worker died) goes back to the queue after this.
# Socket timeouts: a hung Redis must turn into a quick 503 for a page that queues
# work, and into a retried job in a worker, never into a request held for ever.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("JOB_REDELIVERY_SECONDS", CELERY_TASK_TIME_LIMIT * 2),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
# A visitor waits on this: give up on an unreachable broker within a second.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# A job whose storage or Redis failed for a moment (a timeout, a full or read-only disk)
# is tried again this often, this many seconds apart, before the visitor hears of it.
JOB_FAULT_RETRIES = envint("JOB_FAULT_RETRIES", 3)
JOB_FAULT_RETRY_SECONDS = envint("JOB_FAULT_RETRY_SECONDS", 5, minimum=1)
# Downloads (results, ZIPs) one client may have open at once; more get a 429, so that
# clients that request and never read cannot hold every web thread (0: no cap).
MAX_DOWNLOADS_PER_CLIENT = envint("MAX_DOWNLOADS_PER_CLIENT", 4)
# Behind nginx, hand downloads of job files on disk to it (X-Accel-Redirect) under this
# internal location, e.g. /protected-media/ (see the README's nginx block); empty: off.
DOWNLOADS_ACCEL_PREFIX = os.environ.get("DOWNLOADS_ACCEL_PREFIX", "")
# How often the janitor (`manage.py purge_jobs --forever`) looks for expired jobs.
PURGE_INTERVAL_SECONDS = envint("PURGE_INTERVAL_SECONDS", 300, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
