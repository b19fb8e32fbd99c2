"""The API's rules: errors are always JSON and short, other sites cannot post to it,
IPv6 clients are limited per /64, and a job's original is cached only once final."""

import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import running_worker
from tests.web.conftest import wait_for

JOB = "6f1c2a3b-1111-4222-8333-444455556666"


def _json_error(response, status: int) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def test_an_unknown_api_address_or_method_gets_a_json_error(client):
    assert "Nothing here" in _json_error(client.get("/api/nothing"), 404)
    assert "No job with this id" in _json_error(client.get(f"/api/jobs/{JOB}"), 404)
    refused = client.get("/api/jobs")
    assert "accepts POST only" in _json_error(refused, 405)
    assert refused["Allow"] == "POST"


def test_an_oversized_or_malformed_form_gets_a_json_error(client):
    huge = {"tool": "x" * (6 * 1024 * 1024)}  # beyond Django's 5 MB for fields that are not files
    assert "too large" in _json_error(client.post("/api/jobs", huge), 413)
    many = {f"field{i}": "1" for i in range(1500)}  # beyond Django's 1,000 fields
    assert "too many fields" in _json_error(client.post("/api/jobs", many), 413)
    broken = client.generic(
        "POST", "/api/jobs", b"--x\r\nnot a part", content_type="multipart/form-data; boundary="
    )
    assert "could not read it" in _json_error(broken, 400)
    unknown_host = client.post("/api/jobs", HTTP_HOST="evil.example", HTTP_ORIGIN="http://x.io")
    assert "could not read it" in _json_error(unknown_host, 400)  # Django's DisallowedHost


def test_a_bad_value_is_never_echoed_back_whole(client, small_photo):
    megabyte = "lens" + "x" * 1024 * 1024
    fields = {"image": SimpleUploadedFile("a.jpg", small_photo), "tool": "portrait"}
    error = _json_error(client.post("/api/jobs", {**fields, "style": megabyte}), 400)
    assert "lensxxxx" in error and "…" in error and len(error) < 200


def test_a_form_posted_from_another_site_is_refused_before_it_is_read(client, small_photo):
    def upload(**headers):
        fields = {"image": SimpleUploadedFile("a.jpg", small_photo), "tool": "cutout"}
        return client.post("/api/jobs", fields, **headers)

    assert "other sites" in _json_error(upload(HTTP_ORIGIN="https://evil.example"), 403)
    assert "other sites" in _json_error(upload(HTTP_SEC_FETCH_SITE="cross-site"), 403)
    assert "other sites" in _json_error(upload(HTTP_ORIGIN="null"), 403)
    render = client.post(f"/api/jobs/{JOB}/render", {"style": "lens"}, HTTP_ORIGIN="https://x.io")
    assert "other sites" in _json_error(render, 403)
    # The site's own pages, and scripts that send no Origin at all, are served.
    assert (
        upload(HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin").status_code
        == 202
    )
    assert upload().status_code == 202


@pytest.mark.parametrize("site", [None, "same-site", "cross-site"])
def test_a_trusted_origin_may_post(client, settings, small_photo, site):
    settings.CSRF_TRUSTED_ORIGINS = ["https://photos.example.com"]
    headers = {"HTTP_SEC_FETCH_SITE": site} if site else {}

    def upload(origin: str):
        fields = {"image": SimpleUploadedFile("a.jpg", small_photo), "tool": "cutout"}
        return client.post("/api/jobs", fields, HTTP_ORIGIN=origin, **headers)

    assert upload("https://photos.example.com").status_code == 202
    assert "other sites" in _json_error(upload("https://other.example.com"), 403)


@pytest.mark.parametrize(
    ("first", "same_network", "other_network"),
    [
        ("2001:db8:{n}:7::1", "2001:db8:{n}:7:ffff:1:2:3", "2001:db8:{n}:8::1"),
        ("::ffff:10.6.{n}.1", "10.6.{n}.1", "10.6.{n}.2"),
    ],
)
def test_ipv6_clients_are_limited_per_64_network(
    client, settings, small_photo, first, same_network, other_network
):
    settings.UPLOAD_RATE_LIMIT = 1
    n = secrets.randbelow(250)

    def upload(address: str):
        photo = {"image": SimpleUploadedFile("a.jpg", small_photo)}
        return client.post("/portrait/", photo, REMOTE_ADDR=address.format(n=n)).status_code

    assert upload(first) == 302
    assert upload(same_network) == 429  # another address of the same subscriber
    assert upload(other_network) == 302


def test_the_original_is_cached_only_once_it_is_final(client, small_photo):
    job_url = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})[
        "Location"
    ]
    # Queued: the raw upload is served, and the upright preview will replace it.
    assert client.get(job_url + "original")["Cache-Control"] == "private, no-cache"
    with running_worker():
        assert wait_for(client, job_url + "status")["status"] == "done"
    assert client.get(job_url + "original")["Cache-Control"] == "private, max-age=3600"
