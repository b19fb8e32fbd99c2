"""Honest progress: "waiting" only while a job's message is really in the queue."""

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from config import celery_app
from editor.jobs import protocol


def _upload(client, photo: bytes) -> str:
    return client.post("/portrait/", {"image": SimpleUploadedFile("me.jpg", photo)})["Location"]


def test_a_job_behind_others_says_it_waits_and_how_many_are_ahead(client, small_photo):
    celery_app.control.purge()  # no worker runs here: the jobs stay in the queue
    first, second = _upload(client, small_photo), _upload(client, small_photo)
    page = client.get(second).content.decode()
    assert "Waiting for a free worker" in page
    assert "1 photo ahead of yours." in page
    page = client.get(first).content.decode()
    assert "Waiting for a free worker" in page and "ahead of yours" not in page


def test_a_job_a_worker_has_taken_says_it_is_starting_not_waiting(client, small_photo):
    celery_app.control.purge()
    job_url = _upload(client, small_photo)
    # Take its message off the queue the way a worker does, before any stage is reported.
    taken = protocol.client().rpop(settings.JOBS_QUEUE)
    assert taken is not None
    page = client.get(job_url).content.decode()
    assert "Starting…" in page
    assert "Waiting for a free worker" not in page
    assert client.get(job_url + "status").json()["status"] == "queued"  # still PENDING to Celery
