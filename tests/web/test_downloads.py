"""Downloads: a per-client cap on those open at once, and nginx's X-Accel-Redirect."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.web.conftest import wait_for


def _finished_job(client, photo: bytes) -> dict:
    fields = {"image": SimpleUploadedFile("a.jpg", photo), "tool": "cutout"}
    body = client.post("/api/jobs", fields).json()
    return wait_for(client, body["status_url"])


def test_a_client_with_all_its_downloads_open_is_told_to_wait_and_others_are_not(
    client, celery_worker, small_photo, settings
):
    settings.MAX_DOWNLOADS_PER_CLIENT = 2
    job = _finished_job(client, small_photo)
    url = job["result_url"]
    held = [client.get(url, REMOTE_ADDR="198.51.100.20") for _ in range(2)]  # not read yet
    assert [r.status_code for r in held] == [200, 200]
    refused = client.get(url, REMOTE_ADDR="198.51.100.20")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "too many downloads open" in refused.content.decode()
    api = client.get(f"/api/batches/{job['id']}/zip", REMOTE_ADDR="198.51.100.20")
    assert api.status_code == 429 and "too many downloads" in api.json()["error"]
    assert client.get(url, REMOTE_ADDR="198.51.100.21").status_code == 200  # another client
    preview = client.get(f"/jobs/{job['id']}/preview", REMOTE_ADDR="198.51.100.20")
    assert preview.status_code == 200  # screen-sized: a batch page shows twenty at once
    b"".join(held[0].streaming_content)  # read to the end: the response is closed
    again = client.get(url, REMOTE_ADDR="198.51.100.20")
    assert again.status_code == 200 and b"".join(again.streaming_content)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Job files on disk, whichever storage the run uses: nginx can only send files."""
    settings.MEDIA_ROOT = tmp_path / "media"
    default = {"BACKEND": "editor.jobs.storages.JobFileSystemStorage"}
    settings.STORAGES = {**settings.STORAGES, "default": default}
    return tmp_path / "media"


def test_behind_nginx_job_files_are_handed_over_with_x_accel_redirect(
    client, celery_worker, media, small_photo, settings
):
    settings.DOWNLOADS_ACCEL_PREFIX = "/protected-media/"
    job = _finished_job(client, small_photo)
    response = client.get(job["result_url"] + "?download=1")
    assert response.status_code == 200 and response.content == b""
    handed = response["X-Accel-Redirect"]
    assert handed.startswith(f"/protected-media/jobs/{job['id']}/result-")
    stored = media / handed.removeprefix("/protected-media/")
    assert stored.is_file() and stored.stat().st_size > 0
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Robots-Tag"] == "noindex"
    settings.DOWNLOADS_ACCEL_PREFIX = ""  # off: the file itself, as before
    plain = client.get(job["result_url"])
    assert not plain.has_header("X-Accel-Redirect")
    assert b"".join(plain.streaming_content) == stored.read_bytes()


def test_a_download_nobody_reads_or_closes_gives_its_slot_back_once_it_is_gone(
    client, celery_worker, small_photo, settings
):
    settings.MAX_DOWNLOADS_PER_CLIENT = 1
    job = _finished_job(client, small_photo)
    for _ in range(5):  # each dropped unread, never closed
        assert client.get(job["result_url"], REMOTE_ADDR="198.51.100.30").status_code == 200
        gc.collect()  # the test client's response holds itself in a cycle
