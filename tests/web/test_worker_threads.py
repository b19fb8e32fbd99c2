"""How a machine's cores are shared out: worker processes (WORKER_CONCURRENCY) and the
threads each gives one photo (WORKER_THREADS), read from the settings as the Procfile's
worker (no --concurrency) reads them."""

import os
import subprocess
import sys
import time

import pytest

from config.celery import app as celery_app
from tests.paths import ROOT
from tests.workers import WorkerProcess

_SHOW = (
    "from django.conf import settings; from editor.worker import engine; import cv2; "
    "engine.use_threads(); s = engine.session(); "
    "print(settings.CELERY_WORKER_CONCURRENCY, settings.WORKER_THREADS, cv2.getNumThreads(), "
    "s.get_session_options().intra_op_num_threads)"
)


def _shown(**env: str) -> list[int]:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _SHOW],
        cwd=ROOT,
        env={**_without_shape(os.environ), "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [int(n) for n in done.stdout.split()[-4:]]


def test_by_default_each_core_gets_a_single_threaded_process():
    assert _shown() == [os.cpu_count(), 1, 1, 1]


def test_fewer_processes_share_the_cores_out():
    cores = os.cpu_count()
    assert _shown(WORKER_CONCURRENCY="1") == [1, cores, cores, cores]


def test_threads_can_be_set_by_hand():
    assert _shown(WORKER_CONCURRENCY="1", WORKER_THREADS="1") == [1, 1, 1, 1]


def _without_shape(environ) -> dict:
    return {k: v for k, v in environ.items() if k not in ("WORKER_CONCURRENCY", "WORKER_THREADS")}


@pytest.fixture
def worker():
    celery_app.control.purge()
    started = WorkerProcess("threads", WORKER_CONCURRENCY="2", WORKER_THREADS="1")
    yield started
    started.stop()


def test_the_procfile_worker_starts_the_configured_processes_and_threads(worker):
    worker.start()
    deadline = time.monotonic() + 60
    while worker.log.read_text().count("worker process ready: 1 thread(s) per photo") < 2:
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.2)
    assert "concurrency: 2 (prefork)" in worker.log.read_text()
    assert len(worker.pool_processes()) == 2
