import uuid

from django.core.files.uploadedfile import SimpleUploadedFile


def test_the_home_page_introduces_both_tools(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/portrait/"' in response.content
    assert b'href="/remove-background/"' in response.content


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
