import dataclasses
import re
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from editor.imaging import advice
from editor.jobs import files
from tests.paths import ROOT


def test_the_home_page_introduces_both_tools(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/portrait/"' in response.content
    assert b'href="/remove-background/"' in response.content


def test_the_home_page_shows_each_tool_before_and_after_and_credits_the_photos(client):
    page = client.get("/").content.decode()
    for name in ("portrait", "cutout"):
        for side in ("before", "after"):
            assert f'src="/static/img/home/{name}-{side}.jpg"' in page
    assert page.count('role="slider"') == 2  # one divider each, shown by compare.js
    assert '<script src="/static/js/compare.js" defer>' in page
    assert '<link rel="stylesheet" href="/static/css/home.css">' in page
    assert "NASA (public domain)" in page and "Rachel Michetti (CC0)" in page


def test_each_tool_page_shows_its_own_example_beside_the_upload(client):
    portrait = client.get("/portrait/").content.decode()
    cutout = client.get("/remove-background/").content.decode()
    assert "img/home/portrait-after.jpg" in portrait and "img/home/cutout" not in portrait
    assert "img/home/cutout-after.jpg" in cutout and "img/home/portrait" not in cutout
    for page in (portrait, cutout):
        assert page.index('class="tool-upload"') < page.index('class="tool-example-aside"')
        assert '<script src="/static/js/compare.js" defer>' in page


def test_the_pictures_the_pages_name_are_shipped_at_the_size_they_say(client):
    named = set()
    for url in ("/", "/portrait/", "/remove-background/"):
        page = client.get(url).content.decode()
        named |= set(
            re.findall(r'<img src="/static/(img/home/[^"]+)" width="(\d+)" height="(\d+)"', page)
        )
    assert len(named) == 4
    for path, width, height in named:
        with Image.open(ROOT / "static" / path) as image:
            assert image.format == "JPEG" and image.size == (int(width), int(height))
    weight = sum((ROOT / "static" / path).stat().st_size for path, _, _ in named)
    assert weight < 300_000  # a few hundred KB for every example together


def test_each_tool_page_has_an_upload_form_and_states_the_limit(client, settings):
    settings.MAX_UPLOAD_MB = 17
    for url in ("/portrait/", "/remove-background/"):
        page = client.get(url).content.decode()
        assert 'enctype="multipart/form-data"' in page
        assert 'type="file"' in page and "image/webp" in page
        assert "up to 17 MB" in page
        assert "csrfmiddlewaretoken" in page


def test_pages_load_nothing_from_other_sites(client):
    for url in ("/", "/portrait/", "/remove-background/"):
        page = client.get(url).content.decode()
        for attribute in ('src="http', 'src="//', 'href="//'):
            assert attribute not in page
        assert '<link rel="stylesheet" href="/static/' in page


def test_submitting_no_file_shows_a_message(client):
    response = client.post("/portrait/", {})
    assert response.status_code == 400
    assert b"Please choose a photo to upload." in response.content


def test_a_file_that_is_not_a_photo_gets_a_clear_message(client):
    fake = SimpleUploadedFile("holiday.jpg", b"<html>not a photo</html>", "image/jpeg")
    response = client.post("/remove-background/", {"image": fake})
    assert response.status_code == 400
    assert b"not a photo we can read" in response.content


def test_a_file_over_the_size_limit_gets_a_clear_message(client, settings, small_photo):
    settings.MAX_UPLOAD_MB = 0
    upload = SimpleUploadedFile("big.jpg", small_photo, "image/jpeg")
    response = client.post("/portrait/", {"image": upload})
    assert response.status_code == 400
    assert b"the limit is 0 MB" in response.content


def test_an_unknown_job_is_not_found(client):
    job = uuid.uuid4()
    assert client.get(f"/jobs/{job}/").status_code == 404
    assert client.get(f"/jobs/{job}/status").status_code == 404
    assert client.get(f"/jobs/{job}/result").status_code == 404
    assert client.get("/jobs/12/").status_code == 404


# --- the batch page's wording (issue 20) ---


def _batch_of(client, photos: list[bytes]) -> dict:
    uploads = [SimpleUploadedFile(f"shot {n}.jpg", p, "image/jpeg") for n, p in enumerate(photos)]
    response = client.post("/api/batches", {"tool": "portrait", "image": uploads})
    assert response.status_code == 202, response.content
    return response.json()


def test_a_batch_of_one_photo_is_not_all_1_photos(client, small_photo):
    batch = _batch_of(client, [small_photo])
    page = client.get(f"/batches/{batch['id']}/").content.decode()
    assert "all 1 photos" not in page and "1 photos" not in page
    assert "<summary>Change the look</summary>" in page
    assert "The look for this photo" in page


def test_a_batch_of_two_says_both_and_more_say_all(client, small_photo):
    two = _batch_of(client, [small_photo, small_photo])
    assert "One look for both photos" in client.get(f"/batches/{two['id']}/").content.decode()
    three = _batch_of(client, [small_photo] * 3)
    assert "One look for all 3 photos" in client.get(f"/batches/{three['id']}/").content.decode()


def test_a_batch_card_sends_the_visitor_to_the_photo_to_fix_its_outline(client, small_photo):
    batch = _batch_of(client, [small_photo])
    job_id = batch["jobs"][0]["id"]
    # What the worker stores when the advisor's second look finds a doubtful outline.
    found = dataclasses.replace(advice.ADVICE["check_outline"], where=(10, 20))
    files.write_json(job_id, files.ADVICE, [dataclasses.asdict(found)])
    cards = client.get(f"/batches/{batch['id']}/status").json()["html"]
    assert 'data-code="check_outline"' in cards
    assert "Fix the mask" not in cards  # a card has no such control
    assert f'<a href="/jobs/{job_id}/">Open the photo</a> to see the spot and fix the mask' in cards
    assert 'href="/guide/when-it-looks-fake/#touching-the-background">Why</a>' in cards


# --- the API page ---


def test_the_api_page_says_each_default_twice_for_narrow_screens(client):
    page = client.get("/api/").content.decode()
    assert '<link rel="stylesheet" href="/static/css/api.css">' in page
    assert '<span class="api-default-inline"> Default: <code>transparent</code>.</span>' in page
    assert '<span class="api-default-inline"> Required.</span>' in page
