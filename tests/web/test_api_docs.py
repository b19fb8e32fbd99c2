"""The API described for people (a page) and for tools (OpenAPI 3), from one source."""

import json

from openapi_spec_validator import validate

from editor.api import openapi
from tests.paths import ROOT


def test_the_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)  # raises on any error against the OpenAPI 3 schema
    assert spec["openapi"].startswith("3.")
    assert spec["servers"] == [{"url": "http://testserver"}]


def test_the_document_describes_every_api_route(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert set(paths) == {
        "/api/jobs",
        "/api/jobs/{id}",
        "/api/jobs/{id}/render",
        "/api/jobs/{id}/mask",
        "/api/batches",
        "/api/batches/{id}",
        "/api/batches/{id}/zip",
        "/jobs/{id}/result",
    }
    upload = paths["/api/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["required"] == ["image", "tool"]
    assert upload["properties"]["tool"]["enum"] == ["portrait", "cutout"]


def test_a_real_job_answer_matches_the_documented_fields(client, small_photo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    created = client.post(
        "/api/jobs", {"image": SimpleUploadedFile("a.jpg", small_photo), "tool": "portrait"}
    ).json()
    job = client.get(created["status_url"]).json()
    schemas = openapi.SCHEMAS
    assert set(created) == set(schemas["JobCreated"]["properties"])
    assert set(job) == set(schemas["Job"]["properties"])
    assert job["status"] in schemas["Job"]["properties"]["status"]["enum"]


def test_the_readme_shows_the_same_tables_as_the_api_page():
    readme = (ROOT / "README.md").read_text()
    for table in openapi.markdown_tables():
        assert table in readme


def test_the_api_page_has_a_curl_example_for_each_request_and_is_linked_from_every_page(client):
    page = client.get("/api/").content.decode()
    assert "curl -F image=@me.jpg -F tool=portrait http://testserver/api/jobs" in page
    assert "curl -d style=lens -d strength=2 http://testserver/api/jobs/&lt;id&gt;/render" in page
    assert "<code>gaussian</code>" in page and 'href="/api/openapi.json"' in page
    for url in ("/", "/portrait/", "/guide/"):
        assert 'href="/api/"' in client.get(url).content.decode()


def test_the_document_is_plain_json_that_other_sites_may_read(client):
    response = client.get("/api/openapi.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert json.loads(response.content)["info"]["title"] == "Softfocus API"


def test_the_documented_warning_codes_are_the_advisors():
    from editor.imaging.advice import ADVICE

    assert openapi.WARNINGS == tuple(ADVICE)
