"""What a tap may never do, on real photos with the real network: the objects design, and
the site's (today's rules held to the same bounds)."""

import cv2
import numpy as np
import pytest
import skimage.data
from PIL import Image

from editor.imaging import edits, refine, segment, taps
from editor.imaging.taps import objects
from tests.paths import DATA, U2NET, U2NET_SHA256


def _two_subjects() -> np.ndarray:
    with Image.open(DATA / "two-subjects.jpg") as im:
        return np.asarray(im.convert("RGB"))


PHOTOS = {
    "two-subjects": _two_subjects,
    "astronaut": skimage.data.astronaut,
    "coffee": skimage.data.coffee,
    "chelsea": skimage.data.chelsea,
    "rocket": skimage.data.rocket,
}


@pytest.fixture(params=["objects", taps.DESIGN])
def design(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def model():
    return segment.session(str(U2NET), U2NET_SHA256)


@pytest.fixture(scope="module", params=sorted(PHOTOS))
def photo(request, model):
    """A real photo, its refined mask, and a cache of the network's maps for its taps."""
    rgb = np.ascontiguousarray(PHOTOS[request.param]())
    return rgb, refine.refine(rgb, segment.saliency(rgb, model)), {}


def spots(region: np.ndarray, count: int, seed: int) -> list[tuple[int, int]]:
    """The deepest point of `region` and `count - 1` others from its inner half, drawn at
    random at least 20 pixels apart (nearer, a second tap means a change of mind)."""
    depth = cv2.distanceTransform(np.pad(region.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    chosen = [(int(x), int(y))]
    ys, xs = np.nonzero(depth >= 0.5 * depth.max())
    for i in np.random.default_rng(seed).permutation(len(ys)):
        if len(chosen) == count:
            break
        if all(np.hypot(xs[i] - cx, ys[i] - cy) >= 20 for cx, cy in chosen):
            chosen.append((int(xs[i]), int(ys[i])))
    return chosen


def fixes(*taps_: tuple[str, tuple[int, int]]) -> edits.Edits:
    done = edits.Edits()
    for mode, point in taps_:
        done = done.then(edits.Batch(**{mode: (point,)}))
    return done


def test_a_keep_tap_only_adds(photo, model, design):
    rgb, mask, cache = photo
    for point in spots(mask <= 0.5, 3, seed=1):
        out = taps.apply(
            rgb, mask, fixes(("keep", point)), session=model, cache=cache, design=design
        )
        assert (out[mask > 0.5] > 0.5).all(), f"a keep-tap at {point} took something out"


def test_a_remove_tap_only_removes(photo, model, design):
    rgb, mask, cache = photo
    for point in spots(mask > 0.5, 3, seed=2):
        out = taps.apply(
            rgb, mask, fixes(("remove", point)), session=model, cache=cache, design=design
        )
        assert (out[mask <= 0.5] <= 0.5).all(), f"a remove-tap at {point} brought something in"


def test_no_remove_tap_takes_the_subject_at_large(photo, model, design):
    rgb, mask, cache = photo
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0.5).astype(np.uint8))
    subject = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    for point in spots(subject, 3, seed=3):
        out = taps.apply(
            rgb, mask, fixes(("remove", point)), session=model, cache=cache, design=design
        )
        left = (out[subject] > 0.5).mean()
        assert left >= 1 - objects.MAX_REMOVED - 0.02, f"a tap at {point} left {left:.0%}"


def test_a_later_tap_leaves_the_spot_of_an_earlier_one_of_the_other_kind(photo, model, design):
    rgb, mask, cache = photo
    inside, outside = spots(mask > 0.5, 3, seed=4), spots(mask <= 0.5, 3, seed=5)
    guard = max(3, round(objects.GUARD * max(mask.shape))) - 1
    for first, second, held, value in (
        (("keep", inside[0]), ("remove", inside[1]), inside[0], 1),
        (("keep", inside[2]), ("remove", inside[0]), inside[2], 1),
        (("remove", outside[0]), ("keep", outside[1]), outside[0], 0),
        (("remove", outside[2]), ("keep", outside[0]), outside[2], 0),
    ):
        out = taps.apply(rgb, mask, fixes(first, second), session=model, cache=cache, design=design)
        spot = np.zeros(mask.shape, np.uint8)
        cv2.circle(spot, held, guard, 1, -1)
        kept = out[spot.astype(bool)] > 0.5
        assert (kept == bool(value)).all(), f"{second} undid {first}"
