"""Fixing a finished job's mask through the API: taps, strokes, undo, reset and bad input."""

import io
import json

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.paths import DATA
from tests.web.conftest import wait_for


@pytest.fixture(scope="module")
def two_subjects() -> bytes:
    return (DATA / "two-subjects.jpg").read_bytes()


def _job(client, photo: bytes, tool: str = "portrait") -> dict:
    fields = {"image": SimpleUploadedFile("two.jpg", photo), "tool": tool}
    body = client.post("/api/jobs", fields).json()
    return wait_for(client, body["status_url"]) | {"status_url": body["status_url"]}


def _mask(client, job: dict) -> np.ndarray:
    response = client.get(job["mask_url"])
    return np.asarray(Image.open(io.BytesIO(b"".join(response.streaming_content))))


def _alpha(client, job: dict) -> np.ndarray:
    response = client.get(job["result_url"])
    return np.asarray(Image.open(io.BytesIO(b"".join(response.streaming_content))))[..., 3]


def _edit(client, job: dict, body) -> object:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/api/jobs/{job['id']}/mask", data, content_type="application/json")


def _subjects(mask: np.ndarray) -> list[tuple[int, int]]:
    """Centres of the two largest kept pieces, left to right."""
    count, _, stats, centres = cv2.connectedComponentsWithStats((mask > 127).astype(np.uint8))
    order = np.argsort(stats[1:, cv2.CC_STAT_AREA])[::-1][:2] + 1
    return sorted((int(centres[i][0]), int(centres[i][1])) for i in order)


def test_a_remove_tap_takes_the_whole_second_subject_out_and_its_warning_goes(
    client, celery_worker, two_subjects
):
    job = _job(client, two_subjects, "cutout")
    assert "several_subjects" in [w["code"] for w in job["warnings"]]
    before = _alpha(client, job)
    left, right = _subjects(before)
    answer = _edit(client, job, {"remove": [list(right)]})
    assert answer.status_code == 202
    done = wait_for(client, job["status_url"], until=["done"])
    assert done["request"] >= answer.json()["request"] and done["revision"] != job["revision"]
    after = _alpha(client, done)
    assert after[right[1], right[0]] < 30 and after[left[1], left[0]] > 200
    assert "several_subjects" not in [w["code"] for w in done["warnings"]]
    assert done["edits"] == [{"keep": [], "remove": [list(map(float, right))], "strokes": []}]


def test_undoing_the_edit_brings_its_warning_back(client, celery_worker, two_subjects):
    job = _job(client, two_subjects, "cutout")
    _, right = _subjects(_alpha(client, job))
    _edit(client, job, {"remove": [list(right)]})
    edited = wait_for(client, job["status_url"], until=["done"])
    assert "several_subjects" not in [w["code"] for w in edited["warnings"]]
    _edit(client, job, {"undo": True})
    undone = wait_for(client, job["status_url"], until=["done"])
    assert undone["edits"] == []
    assert [w["code"] for w in undone["warnings"]] == [w["code"] for w in job["warnings"]]


def test_strokes_are_obeyed_and_edits_survive_a_look_change_then_reset(
    client, celery_worker, two_subjects
):
    job = _job(client, two_subjects, "cutout")
    first = _alpha(client, job)
    assert (first[25:36, 30:81] < 128).any()  # the top-left corner is background at first
    corner = {"mode": "keep", "radius": 20, "points": [[30, 30], [80, 30]]}
    assert _edit(client, job, {"strokes": [corner]}).status_code == 202
    done = wait_for(client, job["status_url"], until=["done"])
    assert (_alpha(client, done)[25:36, 30:81] == 255).all()  # painted: kept exactly

    look = client.post(f"/api/jobs/{job['id']}/render", {"background": "#00ff00"})
    assert look.status_code == 202
    done = wait_for(client, job["status_url"], until=["done"])
    assert len(done["edits"]) == 1 and done["options"]["background"] == "#00ff00"
    assert _mask(client, done).shape == first.shape

    assert _edit(client, job, {"reset": True}).status_code == 202
    done = wait_for(client, job["status_url"], until=["done"])
    assert done["edits"] == [] and done["options"]["background"] == "#00ff00"
    client.post(f"/api/jobs/{job['id']}/render", {"background": "transparent"})
    done = wait_for(client, job["status_url"], until=["done"])
    assert done["revision"] == job["revision"]  # no edits, first look: first files
    assert (_alpha(client, done) == first).all()


def test_undo_drops_the_last_request(client, celery_worker, two_subjects):
    job = _job(client, two_subjects, "cutout")
    stroke = {"mode": "remove", "radius": 5, "points": [[100, 100]]}
    _edit(client, job, {"strokes": [stroke]})
    _edit(client, job, {"keep": [[10, 10]]})
    assert len(wait_for(client, job["status_url"], until=["done"])["edits"]) == 2
    _edit(client, job, {"undo": True})
    done = wait_for(client, job["status_url"], until=["done"])
    assert [len(b["strokes"]) for b in done["edits"]] == [1]


BAD = [
    ("{not json", "JSON"),
    ("[1, 2]", "object"),
    ({"keep": [[-1, 5]]}, "outside the photo"),
    ({"remove": [[5, 100000]]}, "outside the photo"),
    ({"keep": [[1]]}, "[x, y]"),
    ({"keep": [["a", "b"]]}, "[x, y]"),
    ({"keep": "here"}, "list"),
    ({"strokes": [{"mode": "paint", "radius": 5, "points": [[1, 1]]}]}, "keep or remove"),
    ({"strokes": [{"mode": "keep", "radius": 0, "points": [[1, 1]]}]}, "radius"),
    ({"strokes": [{"mode": "keep", "radius": 5, "points": []}]}, "no points"),
    ({"strokes": [{"mode": "keep", "radius": 5, "points": [[1, 1]] * 6000}]}, "At most"),
    ({"keep": [[1, 1]] * 51}, "At most"),
    ({"colour": "red"}, "Unknown field"),
    ({"reset": "yes"}, "true or false"),
    ({}, "at least one"),
]


def test_bad_edits_are_a_400_that_says_why_and_change_nothing(client, celery_worker, small_photo):
    job = _job(client, small_photo)
    for body, says in BAD:
        answer = _edit(client, job, body)
        assert answer.status_code == 400 and says in answer.json()["error"], body
    assert client.get(job["status_url"]).json()["edits"] == []


def test_edits_need_a_finished_job(client):
    answer = _edit(client, {"id": "00000000-0000-4000-8000-000000000000"}, {"keep": [[1, 1]]})
    assert answer.status_code == 404


def _lights_at_night(astronaut) -> bytes:
    """The astronaut at night: her background dimmed, with 40 small lamps in it (PNG)."""
    from editor.imaging import segment
    from tests.conftest import encode
    from tests.paths import U2NET, U2NET_SHA256

    mask = segment.predict(astronaut, segment.session(str(U2NET), U2NET_SHA256))
    alpha = mask[..., None]
    night = (astronaut * alpha + astronaut * 0.15 * (1 - alpha)).round().astype(np.uint8)
    rng = np.random.default_rng(7)
    for x, y in rng.integers(10, 500, size=(40, 2)):
        if mask[y, x] < 0.05:
            cv2.circle(night, (int(x), int(y)), 2, (255, 255, 255), -1)
    return encode(night, "PNG")


def test_point_lights_get_the_lens_look_first_and_the_soft_one_a_click_away(
    client, celery_worker, astronaut
):
    """When the visitor chose no look and the advisor finds point lights, the first render
    uses the lens style and says so; back on the soft blur, the warning about it shows."""
    job = _job(client, _lights_at_night(astronaut))
    assert job["options"]["style"] == "lens" and job["suited"] == "point_lights"
    assert "point_lights" not in [w["code"] for w in job["warnings"]]  # the lens answers it
    page = client.get(f"/jobs/{job['id']}/").content.decode()
    assert "we used the lens blur" in page
    client.post(f"/api/jobs/{job['id']}/render", {"style": "gaussian"})
    done = wait_for(client, job["status_url"], until=["done"])
    assert done["options"]["style"] == "gaussian" and done["suited"] is None
    assert "point_lights" in [w["code"] for w in done["warnings"]]
    assert "we used the lens blur" not in client.get(f"/jobs/{job['id']}/").content.decode()


def test_a_look_the_visitor_chose_is_never_changed_for_them(client, celery_worker, astronaut):
    photo = SimpleUploadedFile("a.png", _lights_at_night(astronaut))
    fields = {"image": photo, "tool": "portrait"}
    body = client.post("/api/jobs", fields | {"strength": "2"}).json()
    done = wait_for(client, body["status_url"])
    assert done["options"]["style"] == "gaussian" and done["suited"] is None


def test_a_job_cannot_be_given_more_edits_than_its_renders_can_afford(
    client, celery_worker, small_photo
):
    """Every render paints all of a job's edits, so their sum is capped far below the
    worker's time limit; the request over it is a 400 that says what to do, and is
    neither stored nor counted."""
    job = _job(client, small_photo)
    taps = [[5 + i, 5 + i] for i in range(3)]
    answers = [_edit(client, job, {"keep": taps}) for _ in range(40)]
    refused = [a for a in answers if a.status_code == 400]
    assert refused and all(a.status_code == 202 for a in answers[: answers.index(refused[0])])
    message = refused[0].json()["error"]
    assert "undo" in message or "reset" in message, message
    stored = client.get(job["status_url"]).json()["edits"]
    assert len(stored) == answers.index(refused[0])  # the refused ones were not stored
    assert _edit(client, job, {"reset": True}).status_code == 202  # a reset is always allowed
