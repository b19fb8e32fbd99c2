"""The job storage failing for real: a stalled bucket, a read-only job folder.

Each test picks its storage itself (a bucket on a moto_server of its own, or a
folder on disk), so each runs, and means the same, in both runs of the suite.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from celery.result import AsyncResult
from django.core.files.uploadedfile import SimpleUploadedFile

from config import celery_app
from tests.conftest import running_worker
from tests.environment import S3, S3Server, _free_port, redis_server
from tests.web.conftest import wait_for

UNAVAILABLE = "briefly unavailable"
STALL = 20  # seconds: the stall the red team found took every S3 page down with it


def _upload(client, photo: bytes) -> str:
    return client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", photo)})["Location"]


def _api_upload(client, photo: bytes):
    return client.post("/api/jobs", {"image": SimpleUploadedFile("a.jpg", photo), "tool": "cutout"})


# A stalled bucket


@pytest.fixture
def stallable_bucket(settings) -> Iterator[S3Server]:
    """Job files in a bucket on a moto_server of this test's own, which it may SIGSTOP."""
    server = S3Server(_free_port())
    server.start()
    endpoint = f"http://127.0.0.1:{server.port}"
    bucket = f"stall-{uuid.uuid4().hex[:12]}"
    keys = {k: S3[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": keys["AWS_ACCESS_KEY_ID"],
        "secret_key": keys["AWS_SECRET_ACCESS_KEY"],
    }
    default = {"BACKEND": "editor.jobs.storages.JobS3Storage", "OPTIONS": options}
    settings.STORAGES = {**settings.STORAGES, "default": default}
    try:
        yield server
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def _timed_get(client, url: str, answers: dict) -> None:
    started = time.monotonic()
    answers["response"] = client.get(url)
    answers["seconds"] = time.monotonic() - started


def test_a_stalled_bucket_answers_503_while_pages_that_need_none_keep_answering(
    client, stallable_bucket, small_photo
):
    celery_app.control.purge()
    job_url = _upload(client, small_photo)  # queued: no worker needed for its page
    assert client.get(job_url).status_code == 200
    os.kill(stallable_bucket.process.pid, signal.SIGSTOP)  # accepts connections, answers none
    try:
        answers: dict = {}
        page = threading.Thread(target=_timed_get, args=(client, job_url, answers))
        page.start()
        served, stall_ends = 0, time.monotonic() + STALL
        while page.is_alive() and time.monotonic() < stall_ends:
            for url in ("/", "/guide/", "/portrait/"):  # pages that need no bucket
                assert client.get(url).status_code == 200, url
                served += 1
            time.sleep(0.1)
        # A request that waited for the bucket could only answer once it is back.
        assert not page.is_alive(), f"the job page was still waiting after a {STALL} s stall"
        response = answers["response"]
        assert response.status_code == 503 and response["Retry-After"] == "30"
        assert UNAVAILABLE in response.content.decode()
        print(f"\njob page: 503 after {answers['seconds']:.1f} s; {served} other pages meanwhile")
        status = client.get(job_url + "status")
        assert status.status_code == 503 and UNAVAILABLE in status.json()["error"]
        api = client.get("/api/jobs/" + job_url.split("/")[2])
        assert api.status_code == 503 and UNAVAILABLE in api.json()["error"]
        upload = _api_upload(client, small_photo)
        assert upload.status_code == 503 and upload["Retry-After"] == "30"
    finally:
        os.kill(stallable_bucket.process.pid, signal.SIGCONT)
    assert client.get(job_url).status_code == 200  # back by itself, no restart
    celery_app.control.purge()


# A read-only job folder


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Job files on disk, in a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    default = {"BACKEND": "editor.jobs.storages.JobFileSystemStorage"}
    settings.STORAGES = {**settings.STORAGES, "default": default}
    (tmp_path / "media" / "jobs").mkdir(parents=True)
    return tmp_path / "media"


def _chattr(flag: str, folder: Path) -> bool:
    try:
        done = subprocess.run(["chattr", flag, str(folder)], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """The folder takes no new file, as on a read-only or full disk.

    The tests run as root, whom chmod does not stop: `chattr +i` does (EPERM),
    where the filesystem has it; elsewhere the folder is set aside and a file
    takes its place (ENOTDIR), which refuses writes as surely, and reads too.
    """
    probe = folder / "probe"
    if _chattr("+i", folder):
        try:
            probe.touch()
        except PermissionError:
            try:
                yield
            finally:
                _chattr("-i", folder)
            return
        probe.unlink()
        _chattr("-i", folder)
    aside = folder.with_name(folder.name + ".aside")
    folder.rename(aside)
    folder.write_bytes(b"")
    try:
        yield
    finally:
        folder.unlink()
        aside.rename(folder)


def test_uploads_batches_and_mask_edits_answer_503_while_the_job_folder_is_read_only(
    client, celery_worker, media, small_photo
):
    job_url = _upload(client, small_photo)
    assert wait_for(client, job_url + "status")["status"] == "done"
    job_id = job_url.split("/")[2]
    with unwritable(media / "jobs"):
        page = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})
        assert page.status_code == 503 and UNAVAILABLE in page.content.decode()
        assert "Traceback" not in page.content.decode()
        api = _api_upload(client, small_photo)
        assert api.status_code == 503 and UNAVAILABLE in api.json()["error"]
        photos = [SimpleUploadedFile(f"{n}.jpg", small_photo) for n in range(2)]
        batch = client.post("/portrait/batch", {"image": photos})
        assert batch.status_code == 503 and UNAVAILABLE in batch.content.decode()
        photos = [SimpleUploadedFile(f"{n}.jpg", small_photo) for n in range(2)]
        api_batch = client.post("/api/batches", {"image": photos, "tool": "portrait"})
        assert api_batch.status_code == 503 and UNAVAILABLE in api_batch.json()["error"]
    assert sorted(p.name for p in (media / "jobs").iterdir()) == [job_id]  # nothing half-made
    with unwritable(media / "jobs" / job_id):
        edit = client.post(
            f"/api/jobs/{job_id}/mask", '{"keep": [[100, 100]]}', content_type="application/json"
        )
        assert edit.status_code == 503 and UNAVAILABLE in edit.json()["error"]
    assert _upload(client, small_photo).startswith("/jobs/")  # fixed: all is well again


def _wait_for_state(job_id: str, state: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while AsyncResult(job_id).state != state:
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} never reached {state}")
        time.sleep(0.05)


def test_a_job_whose_folder_is_read_only_for_a_while_is_retried_and_finishes(
    client, media, small_photo, settings
):
    settings.JOB_FAULT_RETRY_SECONDS = 1
    celery_app.control.purge()
    job_url = _upload(client, small_photo)
    job_id = job_url.split("/")[2]
    with running_worker():
        with unwritable(media / "jobs" / job_id):
            _wait_for_state(job_id, "RETRY")  # the worker met the fault and will try again
        assert wait_for(client, job_url + "status")["status"] == "done"


def test_a_job_whose_folder_stays_read_only_fails_with_a_message_that_says_to_wait(
    client, media, small_photo, settings
):
    settings.JOB_FAULT_RETRIES, settings.JOB_FAULT_RETRY_SECONDS = 1, 1
    celery_app.control.purge()
    job_url = _upload(client, small_photo)
    job_id = job_url.split("/")[2]
    with unwritable(media / "jobs" / job_id), running_worker():
        _wait_for_state(job_id, "FAILURE")
    status = client.get(job_url + "status").json()
    assert status["status"] == "failed"
    assert "storage is having trouble" in status["html"] and "Try again" in status["html"]


def test_a_hung_redis_answers_503_while_pages_that_need_none_keep_answering(client, small_photo):
    """Stopped, not gone: connections open and nothing answers, where only a socket
    timeout ends the wait."""
    celery_app.control.purge()
    job_url = _upload(client, small_photo)
    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        answers: dict = {}
        poll = threading.Thread(target=_timed_get, args=(client, job_url + "status", answers))
        poll.start()
        stall_ends = time.monotonic() + STALL
        while poll.is_alive() and time.monotonic() < stall_ends:
            assert client.get("/").status_code == 200
            time.sleep(0.1)
        assert not poll.is_alive(), f"the status poll was still waiting after a {STALL} s stall"
        assert answers["response"].status_code == 503
        assert UNAVAILABLE in answers["response"].json()["error"]
        print(f"\nstatus poll: 503 after {answers['seconds']:.1f} s of a hung Redis")
        upload = _api_upload(client, small_photo)
        assert upload.status_code == 503 and upload["Retry-After"] == "30"
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    assert client.get(job_url + "status").status_code == 200
    celery_app.control.purge()
