"""The whole path through a real Redis and a real Celery worker."""

import io
import re

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config import celery_app
from editor.jobs import files
from tests.conftest import running_worker
from tests.web.conftest import wait_for


def _upload(client, url: str, photo: bytes):
    return client.post(url, {"image": SimpleUploadedFile("me.jpg", photo, "image/jpeg")})


def test_a_portrait_job_goes_from_upload_to_download(client, celery_worker, small_photo):
    response = _upload(client, "/portrait/", small_photo)
    assert response.status_code == 302
    job_url = response["Location"]
    assert re.fullmatch(r"/jobs/[0-9a-f-]{36}/", job_url)

    page = client.get(job_url).content.decode()
    assert f'data-status-url="{job_url}status"' in page

    status = wait_for(client, job_url + "status")
    assert status["status"] == "done"
    assert "Download JPEG" in status["html"]
    page = client.get(job_url).content.decode()
    assert 'http-equiv="refresh"' not in page  # finished: no more refreshing

    download = client.get(job_url + "result?download=1")
    assert download["Content-Disposition"].startswith('attachment; filename="me-portrait.jpg"')
    result = Image.open(io.BytesIO(b"".join(download.streaming_content)))
    assert (result.format, result.size) == ("JPEG", (256, 256))

    mask = Image.open(io.BytesIO(b"".join(client.get(job_url + "mask").streaming_content)))
    assert (mask.mode, mask.size) == ("L", (256, 256))


def test_a_cutout_job_gives_a_transparent_png(client, celery_worker, small_photo):
    job_url = _upload(client, "/remove-background/", small_photo)["Location"]
    assert wait_for(client, job_url + "status")["status"] == "done"
    cutout = Image.open(io.BytesIO(b"".join(client.get(job_url + "result").streaming_content)))
    alpha = np.asarray(cutout)[..., 3]
    assert cutout.mode == "RGBA" and cutout.size == (256, 256)
    assert alpha.min() < 10 and alpha.max() > 245  # both clear background and solid subject


def test_the_job_page_refreshes_itself_while_the_job_is_queued(client, small_photo):
    # No worker is running in this test, so the job stays queued.
    job_url = _upload(client, "/portrait/", small_photo)["Location"]
    page = client.get(job_url).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "Waiting for a free worker" in page
    assert client.get(job_url + "status").json()["status"] == "queued"
    assert client.get(job_url + "result").status_code == 404


def test_a_job_that_fails_in_the_worker_shows_why_and_offers_a_retry(client, small_photo, settings):
    celery_app.control.purge()
    job_url = _upload(client, "/portrait/", small_photo)["Location"]
    job_id = job_url.split("/")[2]
    # Damage the stored original after upload: the worker finds a photo it cannot decode.
    files.write(job_id, "original.jpg", small_photo[: len(small_photo) // 2])
    with running_worker():
        status = wait_for(client, job_url + "status")
        assert status["status"] == "failed"
        assert "damaged or incomplete" in status["html"]
        assert "Try again" in status["html"]

        files.write(job_id, "original.jpg", small_photo)  # the visitor's retry now succeeds
        assert client.post(job_url + "retry")["Location"] == job_url
        assert wait_for(client, job_url + "status")["status"] == "done"


def test_a_stored_file_is_replaced_at_once_never_missing_or_half_written():
    import json
    import threading

    files.write("atomic", "result.json", b'{"n": 0}')
    seen, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            seen.append(files.read_json("atomic", "result.json", None))

    thread = threading.Thread(target=reader)
    thread.start()
    for n in range(1, 300):
        files.write("atomic", "result.json", json.dumps({"n": n, "pad": "x" * 5000}).encode())
    stop.set()
    thread.join()
    assert seen and None not in seen  # every read found a whole file
    assert files.names("atomic") == ["result.json"]  # no partial files left behind
