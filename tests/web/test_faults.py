"""Faults produced for real: killed workers, a stopped Redis, a job past its time limit."""

import contextlib
import io
import os
import signal
import subprocess
import sys
import time

import cv2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config import celery_app
from editor.jobs import protocol, services
from tests import stored
from tests.conftest import encode, running_worker
from tests.environment import redis_server
from tests.paths import ROOT
from tests.web.conftest import wait_for
from tests.workers import WorkerProcess


@pytest.fixture
def workers():
    """Start workers with `workers.append(WorkerProcess(...).start())`; all are stopped after."""
    celery_app.control.purge()
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def large_photo(astronaut) -> bytes:
    """About 20 megapixels: a job long enough to be caught in the middle."""
    return encode(cv2.resize(astronaut, (5200, 3900), interpolation=cv2.INTER_CUBIC), quality=85)


def _upload(client, photo: bytes) -> str:
    return client.post("/portrait/", {"image": SimpleUploadedFile("big.jpg", photo)})["Location"]


def _wait_until_running(client, job_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(job_url + "status").json()["status"] == "running":
            return
        time.sleep(0.05)
    raise AssertionError("the job never started")


def _result_size(client, job_url: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(b"".join(client.get(job_url + "result").streaming_content))).size


def test_a_job_survives_its_pool_process_being_killed(client, workers, large_photo):
    worker = WorkerProcess("pool-kill").start()
    workers.append(worker)
    job_url = _upload(client, large_photo)
    _wait_until_running(client, job_url)
    (pool,) = worker.pool_processes()
    pool.send_signal(signal.SIGKILL)
    # Late acknowledgement: the worker hands the job to its fresh pool process.
    assert wait_for(client, job_url + "status", timeout=120)["status"] == "done"
    assert _result_size(client, job_url) == (5200, 3900)
    worker.wait_for_log("exited with 'signal 9 (SIGKILL)'", 5)


def test_a_job_whose_worker_dies_is_never_stuck_and_finishes_on_the_next_worker(
    client, workers, large_photo, settings
):
    settings.JOB_STALE_SECONDS = 3
    quick = {"JOB_REDELIVERY_SECONDS": "5"}
    first = WorkerProcess("doomed", **quick).start()
    workers.append(first)
    job_url = _upload(client, large_photo)
    _wait_until_running(client, job_url)
    first.kill()

    time.sleep(4)  # nobody is working on it now: the page must not say "running"
    status = client.get(job_url + "status").json()
    assert status["status"] == "failed"
    assert "stopped before it finished" in status["html"] and "Try again" in status["html"]

    workers.append(WorkerProcess("heir", **quick).start())
    assert wait_for(client, job_url + "status", timeout=120, until=["done"])["status"] == "done"
    assert _result_size(client, job_url) == (5200, 3900)


def test_a_job_past_its_time_limit_fails_cleanly_and_the_worker_goes_on(
    client, workers, astronaut, small_photo, settings
):
    # The limits travel in each job's message, so the web's settings decide them.
    settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT = 1, 10
    workers.append(WorkerProcess("hurried").start())
    huge = encode(cv2.resize(astronaut, (7000, 5200), interpolation=cv2.INTER_CUBIC), quality=80)
    job_url = _upload(client, huge)
    status = wait_for(client, job_url + "status", timeout=120)
    assert status["status"] == "failed"
    assert "took too long" in status["html"] and "Try again" in status["html"]
    api = client.get("/api/jobs/" + job_url.split("/")[2]).json()
    assert api["status"] == "failed" and "took too long" in api["error"]
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 60  # the same worker takes the next job
    assert wait_for(client, _upload(client, small_photo) + "status")["status"] == "done"


def test_redis_down_gives_a_friendly_503_and_the_site_recovers_without_a_restart(
    client, small_photo, settings
):
    job_url = _upload(client, small_photo)
    redis_server.stop()
    try:
        page = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})
        assert page.status_code == 503
        assert "briefly unavailable" in page.content.decode()
        assert "Traceback" not in page.content.decode()
        api = client.post(
            "/api/jobs", {"image": SimpleUploadedFile("a.jpg", small_photo), "tool": "cutout"}
        )
        assert api.status_code == 503 and "briefly unavailable" in api.json()["error"]
        assert client.get(job_url + "status").status_code == 503
        assert client.get("/").status_code == 200  # pages that need no queue still work
        jobs = stored.job_ids()
    finally:
        redis_server.start()
    assert stored.job_ids() == jobs  # nothing left
    with running_worker():
        again = _upload(client, small_photo)
        assert wait_for(client, again + "status")["status"] == "done"


@contextlib.contextmanager
def janitor(**env: str):
    """The Procfile's janitor, `manage.py purge_jobs --forever`, as a process of its own."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "purge_jobs", "--forever"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(10)


def test_finished_jobs_are_deleted_by_the_janitor_after_the_retention_time(
    client, celery_worker, small_photo
):
    job_url = _upload(client, small_photo)
    assert wait_for(client, job_url + "status")["status"] == "done"
    assert stored.job_id(job_url) in stored.job_ids()
    with janitor(JOB_RETENTION_SECONDS="2", PURGE_INTERVAL_SECONDS="1"):
        deadline = time.monotonic() + 30
        while stored.job_id(job_url) in stored.job_ids() and time.monotonic() < deadline:
            time.sleep(0.5)
    assert stored.job_id(job_url) not in stored.job_ids()
    assert client.get(job_url).status_code == 404


def test_a_queued_upload_survives_a_backlog_longer_than_the_retention_time(
    client, small_photo, settings
):
    celery_app.control.purge()
    job_url = _upload(client, small_photo)  # no worker yet: it waits in the queue
    settings.JOB_RETENTION_SECONDS = 1
    time.sleep(2.5)
    job_id = stored.job_id(job_url)
    assert job_id not in services.jobs_purge()  # queued: never purged, however old the upload
    with running_worker():
        assert wait_for(client, job_url + "status")["status"] == "done"
    time.sleep(1.5)
    assert job_id in services.jobs_purge()  # finished: now it goes
    assert job_id not in stored.job_ids()


def test_a_photo_that_kills_its_worker_twice_is_given_up_with_a_message(
    client, workers, large_photo
):
    worker = WorkerProcess("crash-loop").start()
    workers.append(worker)
    job_url = _upload(client, large_photo)
    attempts = f"softfocus:attempts:{job_url.split('/')[2]}:process"
    for attempt in (b"1", b"2"):
        deadline = time.monotonic() + 60
        while protocol.client().get(attempts) != attempt and time.monotonic() < deadline:
            time.sleep(0.02)
        (pool,) = worker.pool_processes()  # mid-job: it has just started this attempt
        pool.send_signal(signal.SIGKILL)
    status = wait_for(client, job_url + "status", timeout=120)
    assert status["status"] == "failed"
    assert "stopped our worker twice" in status["html"] and "Try again" in status["html"]


def test_a_job_lost_from_the_queue_is_not_queued_for_ever(client, small_photo, settings):
    celery_app.control.purge()
    job_url = _upload(client, small_photo)
    celery_app.control.purge()  # the queue forgets it, as a Redis restart without saving would
    settings.JOB_QUEUED_STALE_SECONDS = 1
    time.sleep(1.5)
    status = client.get(job_url + "status").json()
    assert status["status"] == "failed"
    assert "lost from the queue" in status["html"] and "Try again" in status["html"]
    with running_worker():
        client.post(job_url + "retry")
        assert wait_for(client, job_url + "status")["status"] == "done"
