import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.paths import DATA
from tests.web.conftest import wait_for


def _post(client, **fields):
    return client.post("/api/jobs", fields)


def test_posting_a_photo_answers_202_with_a_status_url(client, celery_worker, small_photo):
    response = _post(client, image=SimpleUploadedFile("a.jpg", small_photo), tool="cutout")
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"id", "status_url"}
    assert body["status_url"] == f"http://testserver/api/jobs/{body['id']}"

    done = wait_for(client, body["status_url"])
    warnings = done.pop("warnings")
    assert all(set(w) == {"code", "message", "guide_url", "where"} for w in warnings)
    assert done.pop("options")["background"] == "transparent"
    assert len(done.pop("revision")) == 10
    assert done.pop("request") == 0  # the first render answers no request of the visitor's
    assert done == {
        "id": body["id"],
        "tool": "cutout",
        "status": "done",
        "stage": "saving",
        "result_url": f"http://testserver/jobs/{body['id']}/result",
        "mask_url": f"http://testserver/jobs/{body['id']}/mask",
        "error": None,
        "suited": None,  # a cutout's look is never chosen for the visitor
        "edits": [],
    }
    result = client.get(done["result_url"])
    assert Image.open(io.BytesIO(b"".join(result.streaming_content))).mode == "RGBA"


def test_a_queued_job_has_no_urls_yet(client, small_photo):
    body = _post(client, image=SimpleUploadedFile("a.jpg", small_photo), tool="portrait").json()
    status = client.get(body["status_url"]).json()
    assert (status["status"], status["stage"]) == ("queued", "queued")
    assert status["result_url"] is None and status["mask_url"] is None


def test_an_unknown_id_is_404(client):
    response = client.get(f"/api/jobs/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"error": "No job with this id."}


def test_a_missing_image_is_400(client):
    response = _post(client, tool="portrait")
    assert response.status_code == 400
    assert response.json() == {"error": "Please choose a photo to upload."}


def test_an_unknown_tool_is_400(client, small_photo):
    response = _post(client, image=SimpleUploadedFile("a.jpg", small_photo), tool="sepia")
    assert response.status_code == 400
    assert response.json() == {"error": "tool must be portrait or cutout."}


def test_a_file_that_is_not_a_photo_is_400(client):
    response = _post(client, image=SimpleUploadedFile("a.png", b"%PDF-1.4 hello"), tool="cutout")
    assert response.status_code == 400
    assert "not a photo we can read" in response.json()["error"]


def test_get_on_the_collection_is_405(client):
    assert client.get("/api/jobs").status_code == 405


def test_the_answer_carries_the_advisors_warnings_with_guide_links(client, celery_worker):
    photo = (DATA / "two-subjects.jpg").read_bytes()
    body = _post(client, image=SimpleUploadedFile("pair.jpg", photo), tool="portrait").json()
    warnings = wait_for(client, body["status_url"])["warnings"]
    several = [w for w in warnings if w["code"] == "several_subjects"]
    assert several == [
        {
            "code": "several_subjects",
            "message": several[0]["message"],
            "guide_url": "http://testserver/guide/when-it-looks-fake/#several-subjects",
            "where": None,
        }
    ]
    assert "more than one subject" in several[0]["message"]
    assert client.get("/guide/when-it-looks-fake/").status_code == 200
