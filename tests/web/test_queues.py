"""Nobody can stall the queue: renders coalesce, uploads get a 'busy' answer, limits hold."""

import json
import time

from django.core.files.uploadedfile import SimpleUploadedFile

from config import celery_app
from editor.jobs import files, protocol, records, services
from editor.worker import processing
from tests.conftest import encode, running_worker
from tests.web.conftest import wait_for


def _submit(client, photo: bytes, tool: str = "portrait", **extra) -> dict:
    fields = {"image": SimpleUploadedFile("a.jpg", photo), "tool": tool}
    return client.post("/api/jobs", fields, **extra).json()


def _queued(name: str) -> list[dict]:
    return [json.loads(m) for m in protocol.client().lrange(name, 0, -1)]


def test_the_same_look_chosen_three_times_works_every_time(client, celery_worker, small_photo):
    job = _submit(client, small_photo)
    assert wait_for(client, job["status_url"])["status"] == "done"
    for style in ("lens", "gaussian", "lens", "gaussian", "lens"):
        answer = client.post(f"/api/jobs/{job['id']}/render", {"style": style})
        assert answer.status_code == 202
        status = wait_for(client, job["status_url"], until=["done", "failed"])
        assert status["status"] == "done", status
        assert status["options"]["style"] == style


def test_a_flood_of_look_changes_queues_one_render_and_the_newest_look_wins(client, small_photo):
    celery_app.control.purge()
    job = _submit(client, small_photo)
    with running_worker():
        assert wait_for(client, job["status_url"])["status"] == "done"
    # No worker now: watch what 30 quick look changes leave in the queues.
    strengths = [round(0.5 + i * 0.05, 2) for i in range(30)]
    for strength in strengths:
        answer = client.post(f"/api/jobs/{job['id']}/render", {"strength": str(strength)})
        assert answer.status_code == 202
    assert len(_queued("renders")) == 1
    other = _submit(client, small_photo, REMOTE_ADDR="192.0.2.7")  # another visitor
    assert len(_queued("jobs")) == 1  # the upload waits behind no render at all
    with running_worker():
        assert wait_for(client, other["status_url"])["status"] == "done"
        final = wait_for(client, job["status_url"], until=["done"])
    assert final["options"]["strength"] == strengths[-1]
    assert final["request"] == answer.json()["request"] == len(strengths)


def test_uploads_get_a_friendly_busy_answer_while_the_queue_is_full(client, small_photo, settings):
    celery_app.control.purge()
    settings.MAX_QUEUED_JOBS = 2
    for _ in range(2):
        page = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})
        assert page.status_code == 302
    page = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})
    assert page.status_code == 503 and page["Retry-After"] == "60"
    assert "very busy" in page.content.decode() and "try again in a minute" in page.content.decode()
    api = client.post(
        "/api/jobs", {"image": SimpleUploadedFile("a.jpg", small_photo), "tool": "cutout"}
    )
    assert api.status_code == 503 and api["Retry-After"] == "60"
    assert "very busy" in api.json()["error"]
    celery_app.control.purge()
    assert client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", b"")}).status_code


def test_look_changes_are_limited_per_job_and_per_client(
    client, celery_worker, small_photo, settings
):
    job = _submit(client, small_photo)
    assert wait_for(client, job["status_url"])["status"] == "done"
    settings.JOB_RENDER_RATE_LIMIT = 3
    url = f"/api/jobs/{job['id']}/render"
    answers = [client.post(url, {"strength": str(s)}).status_code for s in (1.5, 2, 2.5, 3)]
    assert answers == [202, 202, 202, 429]
    refused = client.post(url, {"strength": "1"})
    assert "Please wait" in refused.json()["error"] and int(refused["Retry-After"]) > 0

    settings.JOB_RENDER_RATE_LIMIT, settings.RENDER_RATE_LIMIT = 0, 2
    other = _submit(client, small_photo)
    assert wait_for(client, other["status_url"])["status"] == "done"
    visitor = {"REMOTE_ADDR": "198.51.100.9"}
    url = f"/api/jobs/{other['id']}/render"
    answers = [client.post(url, {"strength": str(s)}, **visitor).status_code for s in (2, 3, 1)]
    assert answers == [202, 202, 429]
    another = {"REMOTE_ADDR": "198.51.100.10"}
    assert client.post(url, {"strength": "2"}, **another).status_code == 202


def test_retries_are_limited_per_job(client, small_photo, settings):
    celery_app.control.purge()
    settings.RETRY_LIMIT, settings.JOB_QUEUED_STALE_SECONDS = 1, 0
    job_url = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})[
        "Location"
    ]
    celery_app.control.purge()  # lost from the queue: the page offers a retry
    assert client.get(job_url + "status").json()["status"] == "failed"
    assert client.post(job_url + "retry").status_code == 302
    celery_app.control.purge()
    page = client.post(job_url + "retry")
    assert page.status_code == 429 and "Please wait" in page.content.decode()


def test_a_render_for_an_older_request_never_replaces_a_newer_one(client, small_photo):
    """Two workers may render one job at once; the one that finishes last must not win
    if it answers an older request."""
    celery_app.control.purge()
    job = _submit(client, small_photo)
    with running_worker():
        assert wait_for(client, job["status_url"])["status"] == "done"
    celery_app.control.purge()
    client.post(f"/api/jobs/{job['id']}/render", {"style": "lens"})
    older, older_seq = protocol.take(job["id"])  # worker 1 takes it and is slow
    newer = client.post(f"/api/jobs/{job['id']}/render", {"style": "gaussian", "strength": "2"})
    processing.job_render(job_id=job["id"], report=lambda *a, **k: None)  # worker 2, fast
    shown = files.read_render(job["id"])
    assert shown.seq == newer.json()["request"] > older_seq
    assert shown.options["style"] == "gaussian"
    job_record = records.job_get(job["id"])
    draft = processing._preview(  # worker 1 finishes last
        job_record, processing._layers(job_record), older, lambda *a, **k: None, older_seq
    )
    processing._finish(job_record, draft)
    assert files.read_render(job["id"]) == shown


def test_a_job_still_in_the_queue_is_never_called_lost_nor_purged(client, small_photo, settings):
    celery_app.control.purge()
    job = _submit(client, small_photo)
    settings.JOB_QUEUED_STALE_SECONDS, settings.JOB_RETENTION_SECONDS = 0, 1
    time.sleep(1.5)
    assert client.get(job["status_url"]).json()["status"] == "queued"
    assert job["id"] not in services.jobs_purge()
    celery_app.control.purge()  # now it really is lost
    assert client.get(job["status_url"]).json()["status"] == "failed"


def test_a_queue_that_fills_after_the_guard_still_says_when_to_come_back(
    client, settings, monkeypatch, small_photo
):
    """The queue fills between the guard's look and the upload's: a race, so it is staged."""
    settings.MAX_QUEUED_JOBS = 5
    lengths = iter([0, 5])  # the guard sees room, the upload a full queue
    monkeypatch.setattr(protocol, "queue_length", lambda: next(lengths))
    page = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})
    assert page.status_code == 503 and page["Retry-After"] == "60"
    assert "very busy" in page.content.decode()


def _finished_at(job_id: str) -> float:
    return records._timestamp(celery_app.backend.get_task_meta(job_id)["date_done"])


def test_a_single_upload_is_taken_before_the_rest_of_another_clients_batch(
    client, small_photo, astronaut, settings
):
    """Twenty photos of one client must not make another's one photo wait for them all."""
    celery_app.control.purge()
    settings.MAX_QUEUED_JOBS = 8  # both queues count against it
    shots = [encode(astronaut[i * 20 : 300 + i * 20, ::2]) for i in range(6)]
    photos = [SimpleUploadedFile(f"shot {n}.jpg", shot) for n, shot in enumerate(shots)]
    batch = client.post(
        "/api/batches", {"image": photos, "tool": "portrait"}, REMOTE_ADDR="203.0.113.5"
    ).json()
    single = _submit(client, small_photo, REMOTE_ADDR="203.0.113.6")
    assert len(_queued("bulk")) == 6 and len(_queued("jobs")) == 1
    assert protocol.queue_length() == 7
    assert protocol.jobs_ahead(single["id"]) == 0
    full = _submit(client, small_photo, REMOTE_ADDR="203.0.113.7")  # the eighth fills it
    refused = client.post(
        "/api/jobs", {"image": SimpleUploadedFile("a.jpg", small_photo), "tool": "portrait"}
    )
    assert refused.status_code == 503 and "very busy" in refused.json()["error"]
    with running_worker():
        assert wait_for(client, single["status_url"])["status"] == "done"
        assert wait_for(client, full["status_url"])["status"] == "done"
        done = wait_for(client, batch["status_url"], until=("done",), timeout=120)
    assert done["status"] == "done"
    taken_before = [
        job["id"] for job in done["jobs"] if _finished_at(job["id"]) < _finished_at(single["id"])
    ]
    # Workers take from each queue in turn: at most one photo of the batch goes first.
    assert len(taken_before) <= 1, taken_before
    before_second = [j for j in done["jobs"] if _finished_at(j["id"]) < _finished_at(full["id"])]
    assert len(before_second) <= 2
