import time

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data as photos

from editor.imaging import advice, segment
from tests.paths import DATA, U2NET, U2NET_SHA256


@pytest.fixture(scope="module")
def model():
    return segment.session(str(U2NET), U2NET_SHA256)


@pytest.fixture(scope="module")
def astronaut_mask(astronaut, model) -> np.ndarray:
    return segment.predict(astronaut, model)


@pytest.fixture(scope="module")
def cameraman_mask(cameraman, model) -> np.ndarray:
    """The cameraman stands before sharp grass and buildings (the astronaut's and the
    cat's studio backdrops are already soft, and the advisor says so)."""
    return segment.predict(cameraman, model)


def codes(rgb: np.ndarray, mask: np.ndarray, tool: str = "portrait") -> list[str]:
    return [a.code for a in advice.advise(rgb, mask, tool)]


def disc(size: int = 512, radius: int = 120, soft: float = 1.0) -> np.ndarray:
    """A constructed mask: one round subject in the middle, edge softened by `soft` px."""
    mask = np.zeros((size, size), np.float32)
    cv2.circle(mask, (size // 2, size // 2), radius, 1.0, -1)
    return cv2.GaussianBlur(mask, (0, 0), soft)


def plain_photo(size: int = 512) -> np.ndarray:
    """An orange ball on a blue wall, for masks that need no model."""
    rgb = np.full((size, size, 3), (60, 90, 160), np.uint8)
    cv2.circle(rgb, (size // 2, size // 2), 120, (230, 120, 40), -1)
    return rgb


# several_subjects


def test_two_people_far_apart_are_several_subjects(model):
    with Image.open(DATA / "two-subjects.jpg") as im:
        rgb = np.asarray(im.convert("RGB"))
    assert "several_subjects" in codes(rgb, segment.predict(rgb, model))


def test_one_astronaut_is_one_subject(astronaut, astronaut_mask):
    assert "several_subjects" not in codes(astronaut, astronaut_mask)


# touching_background


def test_a_wide_unsure_area_joined_to_the_subject_is_touching_the_background():
    mask = disc()
    mask[200:480, 350:500] = np.maximum(mask[200:480, 350:500], 0.5)  # a half-sure fence
    assert "touching_background" in codes(plain_photo(), mask)


def test_a_subject_cut_by_three_sides_of_the_frame_is_touching_the_background():
    mask = np.zeros((512, 512), np.float32)
    mask[150:, :] = 1.0  # left, right and bottom edges all cut through it
    assert "touching_background" in codes(plain_photo(), mask)


def test_a_subject_with_space_around_it_is_not_touching_the_background():
    assert "touching_background" not in codes(plain_photo(), disc())


# thin_edges


def test_a_wide_soft_outline_is_thin_edges():
    assert "thin_edges" in codes(plain_photo(), disc(soft=3.5))


def test_a_crisp_outline_is_not_thin_edges():
    assert "thin_edges" not in codes(plain_photo(), disc(soft=1.0))


# already_shallow and subject_not_sharpest


def _blend(sharp: np.ndarray, soft: np.ndarray, mask: np.ndarray) -> np.ndarray:
    alpha = mask[..., None]
    return (sharp * alpha + soft * (1 - alpha)).round().astype(np.uint8)


def test_a_background_already_blurred_is_already_shallow(cameraman, cameraman_mask):
    blurred = cv2.GaussianBlur(cameraman, (0, 0), 8)
    found = codes(_blend(cameraman, blurred, cameraman_mask), cameraman_mask)
    assert "already_shallow" in found and "subject_not_sharpest" not in found


def test_the_astronauts_studio_backdrop_is_already_shallow(astronaut, astronaut_mask):
    assert "already_shallow" in codes(astronaut, astronaut_mask)


def test_a_sharp_background_is_not_already_shallow(cameraman, cameraman_mask):
    assert "already_shallow" not in codes(cameraman, cameraman_mask)


def test_a_blurred_subject_before_a_sharp_background_is_not_the_sharpest(cameraman, cameraman_mask):
    blurred = cv2.GaussianBlur(cameraman, (0, 0), 4)
    found = codes(_blend(blurred, cameraman, cameraman_mask), cameraman_mask)
    assert "subject_not_sharpest" in found and "already_shallow" not in found


def test_a_sharp_cameraman_is_the_sharpest_part(cameraman, cameraman_mask):
    assert "subject_not_sharpest" not in codes(cameraman, cameraman_mask)


# point_lights


def _night_with_lights(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    night = _blend(rgb, (rgb * 0.15).astype(np.uint8), mask)
    rng = np.random.default_rng(7)
    for x, y in rng.integers(10, 500, size=(40, 2)):
        if mask[y, x] < 0.05:
            cv2.circle(night, (int(x), int(y)), 2, (255, 255, 255), -1)
    return night


def test_small_lights_in_a_dark_background_are_point_lights(astronaut, astronaut_mask):
    night = _night_with_lights(astronaut, astronaut_mask)
    assert "point_lights" in codes(night, astronaut_mask)


def test_point_lights_are_not_mentioned_for_a_cutout(astronaut, astronaut_mask):
    night = _night_with_lights(astronaut, astronaut_mask)
    assert "point_lights" not in codes(night, astronaut_mask, "cutout")


def test_a_daylight_portrait_has_no_point_lights(astronaut, astronaut_mask):
    assert "point_lights" not in codes(astronaut, astronaut_mask)


# camouflage


def test_a_subject_made_of_the_backgrounds_texture_is_camouflage():
    grass = photos.grass()
    rgb = np.dstack([grass // 3, grass // 2, grass // 4])
    assert "camouflage" in codes(rgb, disc(), "cutout")


def test_camouflage_is_only_mentioned_for_a_cutout():
    grass = photos.grass()
    rgb = np.dstack([grass // 3, grass // 2, grass // 4])
    assert "camouflage" not in codes(rgb, disc(), "portrait")


def test_an_orange_ball_on_a_blue_wall_is_not_camouflage():
    assert "camouflage" not in codes(plain_photo(), disc(), "cutout")


# small_subject


def test_a_far_away_subject_is_small():
    assert "small_subject" in codes(plain_photo(), disc(radius=40))


def test_a_subject_filling_a_fifth_of_the_frame_is_not_small():
    assert "small_subject" not in codes(plain_photo(), disc(radius=120))


# no_subject


@pytest.mark.parametrize("fill", [0.0, 1.0])
def test_an_empty_or_full_mask_is_no_subject_and_nothing_else(fill):
    mask = np.full((512, 512), fill, np.float32)
    assert codes(plain_photo(), mask) == ["no_subject"]


def test_the_astronaut_is_a_clear_subject(astronaut, astronaut_mask):
    assert "no_subject" not in codes(astronaut, astronaut_mask)


# the whole


def test_every_warning_names_a_guide_section():
    for item in advice.ADVICE.values():
        assert item.section.split("#")[0] in ("when-it-looks-fake/", "tips/")
        assert 0 < len(item.message) < 200


def test_it_rejects_an_unknown_tool():
    with pytest.raises(ValueError):
        advice.advise(plain_photo(), disc(), "sepia")


def test_it_is_quick_on_a_12_megapixel_photo(astronaut, astronaut_mask):
    rgb = cv2.resize(astronaut, (4000, 3000))
    mask = cv2.resize(astronaut_mask, (4000, 3000))
    advice.advise(rgb, mask, "portrait")  # warm up OpenCV's thread pool
    start = time.perf_counter()
    advice.advise(rgb, mask, "portrait")
    assert time.perf_counter() - start < 1.0  # ~0.2 s alone; slack for a busy CI machine


def test_the_lens_style_takes_the_point_lights_warning_away(astronaut, astronaut_mask):
    night = _night_with_lights(astronaut, astronaut_mask)
    lens = [a.code for a in advice.advise(night, astronaut_mask, "portrait", style="lens")]
    assert "point_lights" not in lens
    assert "point_lights" in codes(night, astronaut_mask)
    assert "haze" in advice.ADVICE["point_lights"].message


# check_outline: a second look, closer up


def test_a_second_look_points_at_a_head_the_mask_cut_off(astronaut, astronaut_mask, model):
    mask = astronaut_mask.copy()
    mask[:200] = 0  # her head and helmet are lost
    found = advice.second_look(astronaut, mask, model)
    assert found is not None and found.code == "check_outline"
    x, y = found.where
    assert y < 200 and astronaut_mask[y, x] > 0.5


def test_a_second_look_agrees_with_a_good_mask(astronaut, astronaut_mask, model):
    assert advice.second_look(astronaut, astronaut_mask, model) is None
