"""Nothing is lost silently: Redis forgetting everything, and edits sent all at once."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from config import celery_app
from editor.jobs import protocol, records, services
from tests.conftest import running_worker
from tests.web.conftest import wait_for


def _submit(client, photo: bytes) -> dict:
    fields = {"image": SimpleUploadedFile("a.jpg", photo), "tool": "portrait"}
    return client.post("/api/jobs", fields).json()


def test_after_redis_forgets_everything_finished_jobs_show_their_result_and_lost_ones_a_retry(
    client, small_photo
):
    celery_app.control.purge()
    finished = _submit(client, small_photo)
    with running_worker():
        assert wait_for(client, finished["status_url"])["status"] == "done"
    queued = _submit(client, small_photo)  # no worker now: it waits in the queue
    protocol.client().flushall()  # what a restart of a Redis without persistence leaves

    api = client.get(finished["status_url"]).json()
    assert api["status"] == "done" and api["result_url"]
    assert client.get(api["result_url"]).status_code == 200
    page = client.get(f"/jobs/{finished['id']}/").content.decode()
    assert 'data-state="done"' in page and f"result?download=1&amp;v={api['revision']}" in page
    poll = client.get(f"/jobs/{finished['id']}/status").json()
    assert poll["status"] == "done" and poll["result_url"]

    lost = client.get(queued["status_url"]).json()  # at once, not after half an hour
    assert lost["status"] == "failed" and "lost track" in lost["error"]
    poll = client.get(f"/jobs/{queued['id']}/status").json()
    assert poll["status"] == "failed" and "Try again" in poll["html"]
    with running_worker():
        assert client.post(f"/jobs/{queued['id']}/retry").status_code == 302
        assert wait_for(client, queued["status_url"])["status"] == "done"


def _edit(point: list[int], job_id: str) -> tuple[list[int], int, dict]:
    """One short keep-stroke: brush strokes are painted without the network, so 45 of
    them render in a moment (the cost of taps is another test's business)."""
    stroke = {"mode": "keep", "radius": 3, "points": [point, [point[0] + 4, point[1]]]}
    body = json.dumps({"strokes": [stroke]})
    answer = Client().post(f"/api/jobs/{job_id}/mask", body, content_type="application/json")
    return point, answer.status_code, answer.json()


def test_45_edits_sent_15_at_a_time_are_each_stored_or_refused_and_every_stored_one_lands(
    client, celery_worker, small_photo, settings
):
    settings.RENDER_RATE_LIMIT = settings.JOB_RENDER_RATE_LIMIT = 0  # not what is tested
    job = _submit(client, small_photo)
    assert wait_for(client, job["status_url"])["status"] == "done"
    points = [[10 + 5 * (i % 45), 40 + 3 * i] for i in range(45)]
    with ThreadPoolExecutor(max_workers=15) as pool:
        answers = list(pool.map(lambda p: _edit(p, job["id"]), points))

    codes = [code for _, code, _ in answers]
    assert set(codes) <= {202, 409}, codes
    stored = services.job_edits(job=records.job_get(job["id"]))
    kept = sorted(list(stroke.points[0]) for stroke in stored.strokes)
    accepted = [(point, body["request"]) for point, code, body in answers if code == 202]
    assert kept == sorted(point for point, _ in accepted)  # every 202 stored, no 409 stored
    for _, code, body in answers:
        if code == 409:
            assert "try again" in body["error"].lower()
    print(f"\n{len(accepted)} of 45 stored, {codes.count(409)} answered 409")

    last = max(number for _, number in accepted)
    deadline = time.monotonic() + 120
    while (status := client.get(f"/jobs/{job['id']}/status").json())["request"] < last:
        assert time.monotonic() < deadline, f"request {last} never answered: {status}"
        time.sleep(0.2)
    assert status["status"] == "done"


def test_asking_again_for_the_look_on_show_is_answered_too(client, celery_worker, small_photo):
    """The render finds its look on show already; the page following its request must
    still see it answered, or it says "updating…" for ever."""
    job = _submit(client, small_photo)
    shown = wait_for(client, job["status_url"])
    for _ in range(2):
        answer = client.post(f"/api/jobs/{job['id']}/render", shown["options"])
        assert answer.status_code == 202
        number = answer.json()["request"]
        deadline = time.monotonic() + 60
        while (status := client.get(f"/jobs/{job['id']}/status").json())["request"] < number:
            assert time.monotonic() < deadline, f"request {number} never answered"
            time.sleep(0.2)
        assert status["revision"] == shown["revision"]  # the same look, the same files
