"""Several photos at once: one job each, a page with a card per photo, one ZIP of all."""

import io
import re
import secrets
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config import celery_app
from editor.api import openapi
from editor.jobs import batches, files, protocol, records
from tests.conftest import encode, running_worker
from tests.web.conftest import wait_for

BATCH_URL = re.compile(r"^/batches/([0-9a-f-]{36})/$")


@pytest.fixture
def photos(astronaut) -> list[bytes]:
    """Three different real photos (crops of the astronaut portrait)."""
    return [
        encode(astronaut[::2, ::2]),
        encode(astronaut[50:400, 60:420]),
        encode(astronaut[::3, ::3]),
    ]


def _files(photos: list[bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"shot {n}.jpg", data) for n, data in enumerate(photos, start=1)]


def _finished(client, batch_id: str) -> dict:
    return wait_for(client, f"/api/batches/{batch_id}", until=("done",), timeout=120)


def _zip(client, url: str) -> zipfile.ZipFile:
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)  # announced before a byte was read
    return zipfile.ZipFile(io.BytesIO(body))


def test_several_photos_make_a_batch_with_a_card_for_each(client, celery_worker, photos):
    response = client.post("/portrait/batch", {"image": _files(photos)})
    assert response.status_code == 302
    batch_id = BATCH_URL.match(response["Location"]).group(1)
    page = client.get(response["Location"]).content.decode()
    assert page.count('class="batch-card"') == 3
    assert "shot 2.jpg" in page

    _finished(client, batch_id)
    status = client.get(f"/batches/{batch_id}/status").json()
    assert status["finished"] and status["done"] == 3
    assert status["html"].count('data-state="done"') == 3
    for job_id in batches.batch_get(batch_id).job_ids:
        assert f'href="/jobs/{job_id}/"' in status["html"]


def test_download_all_streams_a_zip_of_every_result_and_the_masks_on_request(
    client, celery_worker, photos
):
    batch_id = client.post("/api/batches", {"image": _files(photos), "tool": "cutout"}).json()["id"]
    _finished(client, batch_id)

    results = _zip(client, f"/batches/{batch_id}/zip")
    names = results.namelist()
    assert names == [
        "01-shot 1-remove-background.png",
        "02-shot 2-remove-background.png",
        "03-shot 3-remove-background.png",
    ]
    for name in names:
        picture = Image.open(io.BytesIO(results.read(name)))
        assert picture.format == "PNG" and picture.mode == "RGBA"

    with_masks = _zip(client, f"/batches/{batch_id}/zip?masks=1")
    masks = [name for name in with_masks.namelist() if name.startswith("masks/")]
    assert len(masks) == 3
    assert Image.open(io.BytesIO(with_masks.read(masks[0]))).mode == "L"


def test_a_file_that_is_not_a_photo_is_listed_and_the_others_go_on(client, celery_worker, photos):
    files = _files(photos[:2]) + [SimpleUploadedFile("notes.jpg", b"not a photo at all")]
    response = client.post("/remove-background/batch", {"image": files})
    page = client.get(response["Location"]).content.decode()
    assert page.count('class="batch-card"') == 2
    assert "notes.jpg" in page and "not a photo we can read" in page


def test_only_bad_files_get_the_tool_page_back_with_the_reasons(client):
    files = [SimpleUploadedFile("a.jpg", b"junk"), SimpleUploadedFile("b.jpg", b"")]
    response = client.post("/portrait/batch", {"image": files})
    assert response.status_code == 400
    page = response.content.decode()
    assert "a.jpg: " in page and "b.jpg: " in page and 'type="file"' in page


def test_more_photos_than_the_limit_are_refused(client, settings, photos):
    settings.MAX_BATCH_PHOTOS = 2
    response = client.post("/api/batches", {"image": _files(photos), "tool": "portrait"})
    assert response.status_code == 400
    assert response.json() == {"error": "You sent 3 photos; we take up to 2 at once."}


def test_a_batch_over_the_size_limit_is_refused_from_its_headers(client, settings, photos):
    settings.MAX_UPLOAD_MB, settings.MAX_BATCH_MB, settings.MAX_BATCH_PHOTOS = 1, 2, 2
    response = client.post(
        "/api/batches", {"image": _files(photos), "tool": "portrait"}, CONTENT_LENGTH=3 * 2**20
    )
    assert response.status_code == 413
    assert response.json()["error"] == (
        "This upload is 3.0 MB; we take up to 2 MB at once, and 1 MB a photo."
    )
    page = client.post("/portrait/", {"image": _files(photos)}, CONTENT_LENGTH=3 * 2**20)
    assert page.status_code == 413 and "we take up to 2 MB at once" in page.content.decode()


def test_without_javascript_photos_adding_up_to_more_than_one_upload_make_a_batch(
    client, settings, celery_worker, astronaut
):
    """The tool page's guard allows a batch's weight; the form checks each photo's."""
    settings.MAX_UPLOAD_MB = 1
    views = (astronaut, astronaut[:, ::-1], astronaut.transpose(1, 0, 2))
    photos = [encode(view.copy(), "PNG") for view in views]  # about 0.4 MB each
    assert sum(map(len, photos)) > 2**20 and max(map(len, photos)) < 2**20
    response = client.post("/portrait/", {"image": _files(photos)})
    assert response.status_code == 302
    batch_id = BATCH_URL.match(response["Location"]).group(1)
    assert [job["status"] for job in _finished(client, batch_id)["jobs"]] == ["done"] * 3


def test_each_photo_of_a_batch_counts_against_the_rate_limit(client, settings, photos):
    settings.UPLOAD_RATE_LIMIT = 2
    response = client.post("/api/batches", {"image": _files(photos), "tool": "portrait"})
    assert response.status_code == 429


def test_the_api_reports_each_job_and_one_look_changes_them_all(client, celery_worker, photos):
    created = client.post("/api/batches", {"image": _files(photos[:2]), "tool": "portrait"})
    assert created.status_code == 202
    body = created.json()
    assert set(body) == set(openapi.SCHEMAS["BatchCreated"]["properties"])
    assert len(body["jobs"]) == 2 and body["zip_url"].endswith(f"/api/batches/{body['id']}/zip")
    done = _finished(client, body["id"])
    assert set(done["jobs"][0]) == set(openapi.SCHEMAS["BatchJob"]["properties"])
    assert [job["status"] for job in done["jobs"]] == ["done", "done"]
    assert [job["filename"] for job in done["jobs"]] == ["shot 1.jpg", "shot 2.jpg"]

    changed = client.post(
        f"/batches/{body['id']}/look",
        {"strength": "2.5", "style": "lens"},
        HTTP_ACCEPT="application/json",
    )
    assert changed.json() == {"changed": 2}
    for job in done["jobs"]:
        state = wait_for(client, job["status_url"], until=("done",))
        while state["options"]["style"] != "lens":  # the new look replaces the first one
            state = wait_for(client, job["status_url"], until=("done",))
        assert state["options"]["strength"] == 2.5
    assert len(_zip(client, body["zip_url"]).namelist()) == 2


def test_without_javascript_several_files_sent_to_the_tool_page_make_a_batch(client, photos):
    response = client.post("/portrait/", {"image": _files(photos[:2])})
    assert response.status_code == 302 and BATCH_URL.match(response["Location"])


def test_a_batch_expires_with_its_jobs(client, settings, celery_worker, photos):
    from django.core.management import call_command

    body = client.post("/api/batches", {"image": _files(photos[:1]), "tool": "portrait"}).json()
    call_command("purge_jobs")
    assert client.get(f"/batches/{body['id']}/").status_code == 200  # its job is still there
    _finished(client, body["id"])
    settings.JOB_RETENTION_SECONDS = 0
    call_command("purge_jobs")  # what the janitor runs
    for url in (f"/batches/{body['id']}/", body["status_url"], body["zip_url"]):
        assert client.get(url).status_code == 404
    assert client.get(body["jobs"][0]["status_url"]).status_code == 404


def test_a_full_queue_met_after_the_guard_still_says_when_to_come_back(client, settings, photos):
    celery_app.control.purge()
    settings.MAX_QUEUED_JOBS = 2  # room for two: the guard lets the post in, the batch needs 3
    page = client.post("/portrait/", {"image": _files(photos)})
    assert page.status_code == 503 and page["Retry-After"] == "60"
    assert "very busy" in page.content.decode()
    api = client.post("/api/batches", {"image": _files(photos), "tool": "cutout"})
    assert api.status_code == 503 and api["Retry-After"] == "60"
    assert protocol.queue_length() == 0  # nothing of either was queued


def test_one_look_for_all_reaches_the_photos_still_waiting_too(client, settings, photos):
    """A photo not analysed yet gets the batch's look as its first; nothing is left behind."""
    celery_app.control.purge()
    body = client.post("/api/batches", {"image": _files(photos), "tool": "portrait"}).json()
    changed = client.post(
        f"/batches/{body['id']}/look",
        {"strength": "2", "style": "lens"},
        HTTP_ACCEPT="application/json",
    )
    assert changed.status_code == 202 and changed.json() == {"changed": 3}
    with running_worker():
        _finished(client, body["id"])
    for job in body["jobs"]:
        state = client.get(job["status_url"]).json()
        assert (state["options"]["style"], state["options"]["strength"]) == ("lens", 2.0)


def test_a_look_for_the_whole_batch_counts_once_against_the_client_limit(client, settings, photos):
    celery_app.control.purge()
    settings.RENDER_RATE_LIMIT = 2  # a batch of three: one click used to count three
    visitor = {"REMOTE_ADDR": f"10.7.{secrets.randbelow(250)}.{secrets.randbelow(250)}"}
    body = client.post("/api/batches", {"image": _files(photos), "tool": "portrait"}).json()

    def change(style: str):
        url = f"/batches/{body['id']}/look"
        return client.post(url, {"style": style}, HTTP_ACCEPT="application/json", **visitor)

    assert [change("lens").status_code, change("gaussian").status_code] == [202, 202]
    refused = change("lens")  # the third click: refused whole, before any photo changed
    assert refused.status_code == 429 and refused["Retry-After"]
    with running_worker():
        _finished(client, body["id"])
    for job in body["jobs"]:
        assert client.get(job["status_url"]).json()["options"]["style"] == "gaussian"


def test_a_refused_look_without_javascript_shows_the_batch_page_with_the_reason(client, photos):
    body = client.post("/api/batches", {"image": _files(photos[:1]), "tool": "portrait"}).json()
    page = client.post(f"/batches/{body['id']}/look", {"strength": "99"})
    assert page.status_code == 400
    text = page.content.decode()
    assert 'role="alert"' in text and "Ensure this value is less than or equal to 3" in text
    assert 'class="batch-card"' in text


def test_a_batch_whose_every_photo_failed_reports_failed(client, photos):
    celery_app.control.purge()
    body = client.post("/api/batches", {"image": _files(photos[:2]), "tool": "cutout"}).json()
    for job, photo in zip(body["jobs"], photos, strict=False):
        # Damaged after upload: the worker finds photos it cannot decode.
        files.write(job["id"], records.job_get(job["id"]).original, photo[: len(photo) // 2])
    with running_worker():
        state = wait_for(client, body["status_url"], until=("done", "failed"), timeout=120)
    assert state["status"] == "failed"
    assert [job["status"] for job in state["jobs"]] == ["failed", "failed"]
