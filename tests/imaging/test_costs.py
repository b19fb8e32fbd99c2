"""What edits may cost a render, and wide strokes painted at the resolution they need."""

import cv2
import numpy as np
import pytest
from PIL import Image

from editor.imaging import edits, painting, refine, segment
from tests.paths import DATA, U2NET, U2NET_SHA256

TWELVE_MP = (4000, 3000)


@pytest.fixture(scope="module")
def photo():
    """A real photo of two people (960×480) and its refined mask."""
    with Image.open(DATA / "two-subjects.jpg") as im:
        rgb = np.asarray(im.convert("RGB"))
    return rgb, refine.refine(rgb, segment.saliency(rgb, segment.session(str(U2NET), U2NET_SHA256)))


def scattered(count: int, size=TWELVE_MP, seed: int = 0) -> tuple[tuple[float, float], ...]:
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(0, size[0] - 1, count), rng.uniform(0, size[1] - 1, count)
    return tuple(zip(xs.tolist(), ys.tolist(), strict=True))


def paint(rgb: np.ndarray, mask: np.ndarray, *strokes: edits.Stroke) -> np.ndarray:
    nothing = np.zeros((8, 8), bool)
    height, width = mask.shape
    plan = painting.Plan((width, height), nothing.astype(np.float32), nothing, list(strokes))
    return plan.paint(rgb, mask)


def test_the_red_teams_wide_strokes_are_refused_saying_what_to_reduce():
    strokes = tuple(edits.Stroke("keep", 1000.0, scattered(100, seed=i)) for i in range(50))
    with pytest.raises(edits.EditError, match="make the brush smaller or the strokes shorter"):
        edits.Batch(strokes=strokes).check(*TWELVE_MP)


@pytest.mark.parametrize("size", [TWELVE_MP, (8000, 5000)])
def test_a_hundred_taps_are_refused_with_how_many_may_be_sent(size):
    refused = edits.Batch(keep=scattered(50, size), remove=scattered(50, size, seed=1))
    with pytest.raises(
        edits.EditError, match=r"At most (\d+) taps can be sent at a time\."
    ) as said:
        refused.check(*size)
    most = int(str(said.value).split()[2])
    assert 1 <= most <= edits.REQUEST_SECONDS // edits.TAP_SECONDS
    assert edits.Batch(keep=scattered(most, size)).check(*size)  # as many as it says: accepted
    with pytest.raises(edits.EditError):
        edits.Batch(keep=scattered(most + 1, size)).check(*size)


def test_taps_beside_strokes_are_counted_with_them():
    strokes = tuple(edits.Stroke("keep", 1000.0, scattered(100, seed=i)) for i in range(10))
    assert edits.Batch(strokes=strokes).check(*TWELVE_MP)
    with pytest.raises(edits.EditError, match="taps can be sent at a time beside these strokes"):
        edits.Batch(keep=scattered(6), strokes=strokes).check(*TWELVE_MP)


def test_everyday_edits_on_a_12_mp_photo_are_accepted():
    strokes = [
        edits.Stroke("keep", 1000.0, ((0.0, 0.0), (3999.0, 2999.0))),  # corner to corner
        *(
            edits.Stroke("remove", 30.0, ((x, 500.0), (x + 300, 900.0)))
            for x in range(0, 3000, 150)
        ),
        edits.Stroke("keep", 8.0, scattered(40, size=(300, 200), seed=3)),  # a scribble
    ]
    assert edits.Batch(keep=scattered(2), strokes=tuple(strokes)).check(*TWELVE_MP)


def test_a_thin_brush_costs_by_its_length_not_its_box():
    diagonal = edits.Stroke("keep", 5.0, ((0.0, 0.0), (3999.0, 2999.0)))
    short = edits.Stroke("keep", 5.0, ((0.0, 0.0), (399.0, 299.0)))
    long_cost, short_cost = (edits.Batch(strokes=(s,)).cost(*TWELVE_MP) for s in (diagonal, short))
    boxed = TWELVE_MP[0] * TWELVE_MP[1] / 1e6 * sum(edits.PIECE_SECONDS)  # its box: all 12 MP
    assert long_cost.paint < 0.1 * boxed
    assert long_cost.paint == pytest.approx(10 * short_cost.paint, rel=0.35)


def test_a_job_whose_stored_edits_fill_the_budget_takes_no_more():
    request = edits.Batch(keep=scattered(int(edits.REQUEST_SECONDS // edits.TAP_SECONDS) - 1))
    stored = edits.Edits()
    with pytest.raises(edits.EditError, match="undo some or reset") as refused:
        for _ in range(20):
            edits.check_budget(stored, request.check(*TWELVE_MP), *TWELVE_MP)
            stored = stored.then(request)
    assert stored.cost(*TWELVE_MP).seconds <= edits.JOB_SECONDS < 60 / 2
    assert "A photo can hold at most" in str(refused.value)
    edits.check_budget(edits.Edits(), request, *TWELVE_MP)  # after a reset it fits again


def test_strokes_over_the_jobs_budget_are_refused_as_strokes():
    wide = edits.Batch(strokes=(edits.Stroke("keep", 1000.0, scattered(100)),) * 10).check(
        *TWELVE_MP
    )
    fits = int(edits.JOB_SECONDS // wide.cost(*TWELVE_MP).seconds)
    stored = edits.Edits(batches=(wide,) * fits)
    with pytest.raises(edits.EditError, match="smaller brush or shorter strokes"):
        edits.check_budget(stored, wide, *TWELVE_MP)


def test_a_radius_1000_stroke_is_obeyed_inside_and_blends_at_its_edge(photo):
    rgb, mask = photo
    big = cv2.resize(rgb, (2880, 1440), interpolation=cv2.INTER_CUBIC)
    full = cv2.resize(mask, (2880, 1440), interpolation=cv2.INTER_LINEAR)
    stroke = edits.Stroke("remove", 1000.0, ((100.0, 100.0), (2800.0, 1400.0)))
    out = paint(big, full, stroke)
    ys, xs = np.mgrid[0:1440, 0:2880]
    # Distance to the stroke's line, in photo pixels.
    dx, dy = 2700.0, 1300.0
    t = np.clip(((xs - 100) * dx + (ys - 100) * dy) / (dx * dx + dy * dy), 0, 1)
    distance = np.hypot(xs - 100 - t * dx, ys - 100 - t * dy)
    assert (out[distance < 700] == 0).all()  # the core: the visitor's choice, exactly
    assert (out[distance > 1600] == full[distance > 1600]).all()  # beyond its reach: untouched
    near = (distance > 1000) & (distance < 1500)
    assert (out[near] <= full[near] + 1e-6).all()  # a remove stroke only ever takes away


def test_a_stroke_painted_in_pieces_is_the_stroke_painted_whole(photo, monkeypatch):
    rgb, mask = photo
    stroke = edits.Stroke(
        "keep", 12.0, ((40.0, 400.0), (300.0, 60.0), (700.0, 420.0), (930.0, 80.0))
    )
    pieces = paint(rgb, mask, stroke)
    monkeypatch.setattr(edits, "PIECE", 10_000)
    monkeypatch.setattr(edits, "MIN_PIECE", 10_000)
    whole = paint(rgb, mask, stroke)
    assert edits.Brush.of(12.0).span == 10_000
    assert np.abs(pieces - whole).mean() < 0.001
    assert (pieces[np.abs(whole - mask) < 1e-6] == mask[np.abs(whole - mask) < 1e-6]).mean() > 0.99


def test_a_wide_keep_stroke_leaves_the_masks_detail_outside_its_ring(photo):
    rgb, mask = photo
    stroke = edits.Stroke("keep", 200.0, ((480.0, 240.0),))
    out = paint(rgb, mask, stroke)
    ys, xs = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]]
    distance = np.hypot(xs - 480, ys - 240)
    assert (out[distance < 150] == 1).all()
    assert (out[distance > 310] == mask[distance > 310]).all()
    assert (out >= mask - 1e-6).all()  # a keep stroke only ever adds


@pytest.mark.parametrize(
    "body, message",
    [
        ({"keep": [[10**400, 2]]}, "Each point of keep must be [x, y]"),
        ({"strokes": [{"mode": "keep", "radius": 5, "points": [[1, -(10**309)]]}]}, "of stroke 1"),
        (
            {"strokes": [{"mode": "keep", "radius": 5, "points": [[1, 1]] * 5001}]},
            "At most 5000 points over all strokes can be sent at a time.",
        ),
        (
            {"strokes": [{"mode": "keep", "radius": 5, "points": [[1, 1]] * 2600}] * 2},
            "At most 5000 points over all strokes can be sent at a time.",
        ),
        ({"keep": [[1, 1]] * 51}, "At most 50 keep taps can be sent at a time."),
        ({"strokes": [{"mode": "keep", "radius": 5, "points": {}}]}, "The points of stroke 1 must"),
    ],
)
def test_bad_edits_are_refused_in_plain_english(body, message):
    with pytest.raises(edits.EditError) as refused:
        edits.Batch.from_dict(body)
    text = str(refused.value)
    assert message in text
    assert text[0].isupper() and text.endswith(".") and "'s points taps" not in text
