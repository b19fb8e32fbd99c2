"""`manage.py portrait|cutout IN OUT --keep X,Y --remove X,Y`: the page's taps, from a shell."""

import io

import cv2
import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests.paths import DATA

PHOTO = DATA / "two-subjects.jpg"


def _cutout(tmp_path, *taps: str) -> np.ndarray:
    out = tmp_path / "out.png"
    call_command("cutout", str(PHOTO), str(out), *taps, stdout=io.StringIO())
    return np.asarray(Image.open(out))[..., 3]


def _right_piece(alpha: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    count, labels, stats, _ = cv2.connectedComponentsWithStats((alpha > 127).astype(np.uint8))
    right = max(range(1, count), key=lambda i: (stats[i, cv2.CC_STAT_AREA] > 2000, stats[i, 0]))
    depth = cv2.distanceTransform((labels == right).astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return labels == right, (int(x), int(y))


def test_a_remove_tap_takes_the_second_person_out_and_a_keep_tap_keeps_him(tmp_path):
    plain = _cutout(tmp_path)
    him, (x, y) = _right_piece(plain)
    removed = _cutout(tmp_path, "--remove", f"{x},{y}")
    assert (removed[him] > 127).mean() < 0.02 and removed.sum() < plain.sum()
    kept = _cutout(tmp_path, "--remove", f"{x},{y}", "--keep", f"{x},{y}")
    assert (kept[him] > 127).mean() > 0.9


@pytest.mark.parametrize(
    "taps, says",
    [
        (["--keep", "5000,10"], "outside the photo"),
        (["--remove=-3,10"], "outside the photo"),
    ],
)
def test_taps_outside_the_photo_are_refused_with_a_message(tmp_path, taps, says):
    with pytest.raises(CommandError, match=says):
        call_command("portrait", str(PHOTO), str(tmp_path / "o.jpg"), *taps, stdout=io.StringIO())
    assert not (tmp_path / "o.jpg").exists()


@pytest.mark.parametrize("tap", ["10", "a,b", "1,2,3"])
def test_a_tap_that_is_not_two_numbers_is_a_usage_error(tmp_path, tap):
    with pytest.raises(CommandError, match="X,Y"):
        call_command("portrait", str(PHOTO), str(tmp_path / "o.jpg"), "--keep", tap)
