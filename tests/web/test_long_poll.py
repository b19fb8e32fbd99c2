"""The job page learns of a new state the moment the worker stores it, not at the next poll."""

import time

from django.core.files.uploadedfile import SimpleUploadedFile

from config import celery_app
from tests.conftest import running_worker
from tests.web.conftest import wait_for


def _upload(client, photo: bytes) -> str:
    response = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", photo)})
    return response["Location"] + "status"


def test_a_waiting_status_request_answers_as_soon_as_the_worker_stores_a_preview(
    client, small_photo
):
    celery_app.control.purge()
    status_url = _upload(client, small_photo)
    queued = client.get(status_url).json()
    assert queued["status"] == "queued" and queued["token"]
    with running_worker():
        started = time.monotonic()
        changed = client.get(status_url, {"since": queued["token"], "wait": "15"}).json()
        waited = time.monotonic() - started
        assert changed["token"] != queued["token"]
        assert waited < 14  # it did not sit out the whole wait
        # Following the tokens, as the page does, reaches the preview and then the result.
        seen, token = [changed], changed["token"]
        while seen[-1]["status"] != "done":
            seen.append(client.get(status_url, {"since": token, "wait": "15"}).json())
            token = seen[-1]["token"]
    assert any(body["preview_url"] for body in seen)
    assert seen[-1]["result_url"] and seen[-1]["request"] == 0


def test_an_unchanged_job_answers_when_the_wait_is_over_with_the_same_token(
    client, celery_worker, small_photo
):
    status_url = _upload(client, small_photo)
    wait_for(client, status_url)
    token = client.get(status_url).json()["token"]
    started = time.monotonic()
    again = client.get(status_url, {"since": token, "wait": "1"}).json()
    assert again["token"] == token and time.monotonic() - started >= 0.9


def test_nonsense_waits_are_no_wait_at_all(client, celery_worker, small_photo):
    status_url = _upload(client, small_photo)
    for wait in ("soon", "-5", "nan", "1e999"):
        response = client.get(status_url, {"since": "x", "wait": wait})
        assert response.status_code == 200 and response.json()["status"]
