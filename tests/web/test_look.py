"""Changing the look of a finished job: from the stored mask, never a second network run."""

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from editor.imaging import segment
from tests.web.conftest import wait_for


@pytest.fixture
def network_runs(monkeypatch):
    """Counts real U-2-Net runs (the worker runs in this process)."""
    runs = []
    real = segment.saliency

    def counted(rgb, model):
        runs.append(rgb.shape)
        return real(rgb, model)

    monkeypatch.setattr(segment, "saliency", counted)
    return runs


def _image(client, url: str) -> Image.Image:
    response = client.get(url)
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def _job(client, tool: str, photo: bytes, **options) -> dict:
    fields = {"image": SimpleUploadedFile("a.jpg", photo), "tool": tool, **options}
    body = client.post("/api/jobs", fields).json()
    return wait_for(client, body["status_url"]) | {"status_url": body["status_url"]}


def test_a_new_blur_comes_from_the_stored_mask_without_running_the_network_again(
    client, celery_worker, small_photo, network_runs
):
    first = _job(client, "portrait", small_photo)
    assert len(network_runs) == 2  # the photo, and the advisor's closer look at its subject
    soft = np.asarray(_image(client, first["result_url"]), dtype=float)

    changed = client.post(f"/api/jobs/{first['id']}/render", {"strength": "3", "style": "lens"})
    assert changed.status_code == 202
    done = wait_for(client, first["status_url"], until=["done"])
    assert done["request"] == changed.json()["request"] == 1
    assert done["revision"] != first["revision"]
    assert done["options"]["style"] == "lens" and done["options"]["strength"] == 3.0
    strong = np.asarray(_image(client, done["result_url"]), dtype=float)
    assert len(network_runs) == 2  # the network ran for the upload only
    assert strong.shape == soft.shape and np.abs(strong - soft).mean() > 1


def test_a_cutout_can_go_on_a_colour_as_webp(client, celery_worker, small_photo, network_runs):
    first = _job(client, "cutout", small_photo)
    client.post(
        f"/api/jobs/{first['id']}/render", {"background": "#ff0000", "format": "webp-lossless"}
    )
    done = wait_for(client, first["status_url"], until=["done"])
    result = _image(client, done["result_url"])
    assert (result.format, result.mode, result.size) == ("WEBP", "RGB", (256, 256))
    assert result.getpixel((2, 2)) == (255, 0, 0)  # a corner is background: now red
    assert len(network_runs) == 2  # for the upload only


def test_options_can_be_given_with_the_upload(client, celery_worker, small_photo):
    done = _job(client, "portrait", small_photo, format="webp", strength="0.5")
    assert _image(client, done["result_url"]).format == "WEBP"
    assert done["options"]["strength"] == 0.5


def test_nonsense_options_are_a_400_that_says_why(client, celery_worker, small_photo):
    bad = client.post(
        "/api/jobs",
        {"image": SimpleUploadedFile("a.jpg", small_photo), "tool": "portrait", "format": "png"},
    )
    assert bad.status_code == 400 and "png" in bad.json()["error"]
    first = _job(client, "cutout", small_photo)
    for fields, phrase in (
        ({"strength": "9"}, "less than or equal to 3"),
        ({"background": "#12"}, "background must be"),
    ):
        refused = client.post(f"/api/jobs/{first['id']}/render", fields)
        assert refused.status_code == 400 and phrase in refused.json()["error"]


def test_the_look_form_on_the_page_works_without_javascript(client, celery_worker, small_photo):
    job_url = client.post(
        "/remove-background/", {"image": SimpleUploadedFile("a.jpg", small_photo)}
    )["Location"]
    wait_for(client, job_url + "status")
    page = client.get(job_url).content.decode()
    assert f'action="{job_url}look"' in page and 'name="background"' in page
    response = client.post(
        job_url + "look", {"background": "colour", "colour": "#00ff00", "format": "png"}
    )
    assert response["Location"] == job_url
    assert wait_for(client, job_url + "status", until=["done"])["status"] == "done"
    result = _image(client, job_url + "result")
    assert result.mode == "RGB" and result.getpixel((2, 2)) == (0, 255, 0)


def test_a_refused_look_without_javascript_shows_the_job_page_with_the_reason(
    client, celery_worker, settings, small_photo
):
    settings.JOB_RENDER_RATE_LIMIT = 1
    job_url = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})[
        "Location"
    ]
    wait_for(client, job_url + "status")
    bad = client.post(job_url + "look", {"strength": "99"})
    assert bad.status_code == 400
    assert (
        "less than or equal to 3" in bad.content.decode()
        and "Blur strength" in bad.content.decode()
    )
    assert client.post(job_url + "look", {"style": "lens"})["Location"] == job_url
    refused = client.post(job_url + "look", {"style": "gaussian"})
    assert refused.status_code == 429 and refused["Retry-After"]
    page = refused.content.decode()
    assert 'role="alert"' in page and "more changes than we can make" in page
    assert 'name="style"' in page  # the page itself, with its controls


def test_a_look_cannot_be_changed_before_the_first_result(client, small_photo):
    job_url = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})[
        "Location"
    ]
    refused = client.post(job_url + "look", {"style": "lens"}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 409
    job_id = job_url.split("/")[2]
    assert client.post(f"/api/jobs/{job_id}/render", {"style": "lens"}).status_code == 409


def test_a_revision_names_one_file_for_good(client, celery_worker, small_photo):
    first = _job(client, "portrait", small_photo)
    old = f"/jobs/{first['id']}/result?v={first['revision']}"
    assert client.get(old).status_code == 200
    client.post(f"/api/jobs/{first['id']}/render", {"strength": "2"})
    done = wait_for(client, first["status_url"], until=["done"])
    assert client.get(f"/jobs/{first['id']}/result?v={done['revision']}").status_code == 200
    assert client.get(f"/jobs/{first['id']}/result?v=0000000000").status_code == 404
