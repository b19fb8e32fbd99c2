import os
import secrets
import subprocess
import sys

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from tests.paths import ROOT


def test_pages_carry_a_content_security_policy_and_the_usual_headers(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_every_form_needs_its_csrf_token(small_photo):
    strict = Client(enforce_csrf_checks=True)
    upload = {"image": SimpleUploadedFile("a.jpg", small_photo)}
    assert strict.post("/portrait/", upload).status_code == 403
    assert strict.post("/remove-background/", upload).status_code == 403
    job = "6f1c2a3b-1111-4222-8333-444455556666"
    assert strict.post(f"/jobs/{job}/retry").status_code == 403
    assert 'name="csrfmiddlewaretoken"' in strict.get("/portrait/").content.decode()


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unset = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_is_clean_with_production_settings_from_env_vars():
    done = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        HTTPS="1",
        ALLOWED_HOSTS="photos.example.com",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_debug_is_off_and_a_secret_key_is_required_unless_asked_otherwise():
    done = _manage("check")
    assert done.returncode != 0
    assert "Set SECRET_KEY in the environment" in done.stderr
    shown = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        SECRET_KEY="k" * 50,
    )
    assert shown.stdout.strip().splitlines()[-1] == "False"


def test_nonsense_settings_stop_the_process_with_a_message():
    done = _manage("check", SECRET_KEY="k" * 50, MAX_UPLOAD_MB="lots")
    assert done.returncode != 0 and "MAX_UPLOAD_MB must be a whole number" in done.stderr


def test_uploads_are_rate_limited_per_client_with_a_clear_429(client, settings, small_photo):
    settings.UPLOAD_RATE_LIMIT, settings.UPLOAD_RATE_WINDOW = 2, 600
    address = {"REMOTE_ADDR": f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"}

    def upload(url="/portrait/", **extra):
        return client.post(
            url, {"image": SimpleUploadedFile("a.jpg", small_photo), **extra}, **address
        )

    assert upload().status_code == 302
    assert upload().status_code == 302
    refused = upload()
    assert refused.status_code == 429
    assert "which is our limit" in refused.content.decode()
    api = upload("/api/jobs", tool="cutout")
    assert api.status_code == 429 and "our limit" in api.json()["error"]
    other = client.post(
        "/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)}, REMOTE_ADDR="10.8.0.1"
    )
    assert other.status_code == 302  # another visitor is not affected


def test_job_pages_are_not_indexed_and_not_listed(client, small_photo):
    job_url = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})[
        "Location"
    ]
    assert '<meta name="robots" content="noindex">' in client.get(job_url).content.decode()
    assert client.get("/jobs/").status_code == 404
    assert client.get("/api/jobs").status_code == 405


def test_a_forged_forwarded_for_does_not_escape_the_rate_limit(client, settings, small_photo):
    settings.UPLOAD_RATE_LIMIT, settings.CLIENT_IP_HEADER = 1, "HTTP_X_FORWARDED_FOR"
    proxy_saw = f"10.7.{secrets.randbelow(250)}.{secrets.randbelow(250)}"

    def upload(forged: str):
        header = f"{forged}, {proxy_saw}"  # the client's claim, then what our proxy appended
        return client.post(
            "/portrait/",
            {"image": SimpleUploadedFile("a.jpg", small_photo)},
            HTTP_X_FORWARDED_FOR=header,
        )

    assert upload("1.1.1.1").status_code == 302
    assert upload("2.2.2.2").status_code == 429


def test_an_oversized_upload_is_refused_before_anything_reads_it(settings, small_photo):
    settings.MAX_UPLOAD_MB = settings.MAX_BATCH_MB = 1  # the tool page takes a batch's weight
    strict = Client(enforce_csrf_checks=True)  # no token: CSRF would answer 403 had it run
    big = small_photo + b"\x00" * (3 * 1024 * 1024)
    response = strict.post("/portrait/", {"image": SimpleUploadedFile("big.jpg", big)})
    assert response.status_code == 413


def test_settings_refuse_numbers_below_their_minimum():
    done = _manage("check", SECRET_KEY="k" * 50, UPLOAD_RATE_WINDOW="0")
    assert done.returncode != 0 and "UPLOAD_RATE_WINDOW must be at least 1" in done.stderr


HEADERS = ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy")


def _has_security_headers(response) -> bool:
    return all(response.has_header(header) for header in HEADERS)


def test_security_headers_are_on_the_apis_rewritten_errors_and_redirects(client):
    missing = client.get("/api/jobs/6f1c2a3b-1111-4222-8333-444455556666")
    assert missing.status_code == 404 and "error" in missing.json()
    not_found = client.get("/api/nothing-here")  # Django's own 404, rewritten as JSON
    assert not_found.status_code == 404 and "error" in not_found.json()
    slash = client.get("/portrait")  # CommonMiddleware's APPEND_SLASH
    assert slash.status_code == 301 and slash["Location"] == "/portrait/"
    for response in (missing, not_found, slash):
        assert _has_security_headers(response), dict(response.headers)
    assert not_found["X-Frame-Options"] == "DENY"


def test_the_https_redirect_carries_the_security_headers(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    redirect = client.get("/guide/")
    assert redirect.status_code == 301 and redirect["Location"].startswith("https://")
    assert _has_security_headers(redirect)


def test_static_files_and_the_svg_favicon_carry_the_security_headers(settings):
    call_command("collectstatic", "--noinput", verbosity=0)
    fresh = Client()  # WhiteNoise lists the static files when its middleware starts
    for name in ("img/favicon.svg", "css/site.css"):
        response = fresh.get(f"{settings.STATIC_URL}{name}")
        assert response.status_code == 200, name
        assert _has_security_headers(response), name
        assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_post_to_a_get_only_api_path_is_the_documented_405():
    script = Client(enforce_csrf_checks=True)  # as curl: no CSRF cookie, no token
    job = "6f1c2a3b-1111-4222-8333-444455556666"
    for path in (f"/api/jobs/{job}", f"/api/batches/{job}", f"/api/batches/{job}/zip"):
        answer = script.post(path, {"strength": "2"})
        assert answer.status_code == 405, path
        assert answer["Allow"] == "GET" and "accepts GET only" in answer.json()["error"]
    # A browser's post from another site is still refused before anything else.
    cross = script.post(f"/api/jobs/{job}", HTTP_ORIGIN="https://evil.example")
    assert cross.status_code == 403
