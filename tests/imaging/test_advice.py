import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data as photos

from editor.imaging import advice, segment
from tests.paths import DATA, ROOT, U2NET, U2NET_SHA256

SAMPLES = ROOT / "static" / "img" / "samples"


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


def _sample(name: str) -> np.ndarray:
    with Image.open(SAMPLES / f"{name}.jpg") as im:
        return np.asarray(im.convert("RGB"))


def test_the_astronaut_sample_in_focus_all_over_is_not_already_shallow(model):
    """The guide's own example of a photo in focus everywhere: her studio backdrop is soft
    by nature, but the flag and the model shuttle beside it are sharp."""
    rgb = _sample("astronaut")
    assert "already_shallow" not in codes(rgb, segment.predict(rgb, model))


def test_the_cat_sample_before_a_blurred_room_is_already_shallow(model):
    rgb = _sample("chelsea")
    assert "already_shallow" in codes(rgb, segment.predict(rgb, model))


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


def _on_background(background: np.ndarray, rgb: np.ndarray, mask: np.ndarray):
    """`rgb` (a square portrait) stood at the bottom middle of `background`, and its mask."""
    height, width = background.shape[:2]
    side = height * 3 // 5
    x0 = (width - side) // 2
    full = np.zeros((height, width), np.float32)
    full[height - side :, x0 : x0 + side] = cv2.resize(mask, (side, side))
    pasted = background.copy()
    pasted[height - side :, x0 : x0 + side] = cv2.resize(rgb, (side, side))
    return _blend(pasted, background, full), full


def _sunlit_leaves(rng: np.random.Generator, width: int = 4000, height: int = 3000) -> np.ndarray:
    """Shaded foliage with glints of sun on its leaves: small, clipped, long and thin."""
    grass = cv2.resize(np.tile(photos.grass(), (3, 4)), (width, height)).astype(np.float32) / 255
    leaves = np.dstack([grass * 40 + 10, grass * 75 + 25, grass * 30 + 5])
    for _ in range(3000):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(6, 30)), int(rng.integers(1, 4)))
        cv2.ellipse(leaves, centre, axes, float(rng.uniform(0, 180)), 0, 360, (255, 255, 235), -1)
    return leaves.astype(np.uint8)


def _street_at_night(rng: np.random.Generator, width: int = 4000, height: int = 3000):
    """A dark street (skimage's coffee shop, dimmed) with 40 lamps: clipped cores in a glow."""
    street = cv2.resize(photos.coffee(), (width, height)).astype(np.float32) * 0.12
    glow, cores = np.zeros((height, width), np.float32), np.zeros((height, width), np.uint8)
    for _ in range(40):
        centre, radius = (int(rng.integers(0, width)), int(rng.integers(0, height * 2 // 3))), 0
        radius = int(rng.integers(4, 14))
        cv2.circle(cores, centre, radius, 1, -1)
        cv2.circle(glow, centre, radius * 3, 0.35, -1)
    street += cv2.GaussianBlur(glow, (0, 0), 12)[..., None] * np.float32([255, 200, 120])
    street[cores.astype(bool)] = 255
    return np.clip(street, 0, 255).astype(np.uint8)


def test_glints_of_sun_on_leaves_in_a_12_megapixel_photo_are_not_point_lights(
    astronaut, astronaut_mask
):
    rgb, mask = _on_background(_sunlit_leaves(np.random.default_rng(3)), astronaut, astronaut_mask)
    assert "point_lights" not in codes(rgb, mask)


def test_street_lamps_behind_a_12_megapixel_portrait_at_night_are_point_lights(
    astronaut, astronaut_mask
):
    dim = (astronaut * 0.6).astype(np.uint8)  # she is lit by the street
    rgb, mask = _on_background(_street_at_night(np.random.default_rng(5)), dim, astronaut_mask)
    assert "point_lights" in codes(rgb, mask)


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


def test_the_lens_style_makes_the_point_lights_warning_untrue():
    assert advice.ADVICE["point_lights"].hidden_with == ("lens",)
    assert "haze" in advice.ADVICE["point_lights"].message


# the mask the advisor reads


def test_after_an_edit_the_subject_is_the_edited_one(model):
    """A visitor who removed the second person is not told there are two."""
    with Image.open(DATA / "two-subjects.jpg") as im:
        rgb = np.asarray(im.convert("RGB"))
    plain = segment.predict(rgb, model)
    count, labels, stats, _ = cv2.connectedComponentsWithStats((plain > 0.5).astype(np.uint8))
    smaller = 1 + int(np.argsort(stats[1:, cv2.CC_STAT_AREA])[-2])
    edited = np.where(labels == smaller, 0, plain).astype(np.float32)
    preview = cv2.resize(rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2))  # the worker's preview size
    small = cv2.resize(edited, preview.shape[1::-1])
    assert "several_subjects" in codes(rgb, plain)
    assert "several_subjects" not in [
        a.code for a in advice.advise(preview, plain, "portrait", edited=small)
    ]


# memory grows with the pixels, whatever the shape


@pytest.mark.parametrize("shape", [(16, 2_500_000), (2_500_000, 16)])
def test_a_40_megapixel_photo_a_few_pixels_wide_stays_small(shape):
    """The 2,500,000 × 16 PNG once took 14 GB. Every stage, in a fresh process: peak RSS."""
    code = f"""
        import resource, numpy as np
        from editor.imaging import advice, segment
        model = segment.session({str(U2NET)!r}, {U2NET_SHA256!r})
        segment.saliency(np.zeros((8, 8, 3), np.uint8), model)  # the network's own peak
        h, w = {shape}
        rgb = np.full((h, w, 3), 90, np.uint8)
        mask = np.zeros((h, w), np.float32)
        if h > w: rgb[h // 3 : h // 2] = 200; mask[h // 3 : h // 2] = 1
        else: rgb[:, w // 3 : w // 2] = 200; mask[:, w // 3 : w // 2] = 1
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        advice.advise(rgb, mask, "portrait")
        advice.advise(rgb, mask, "cutout", edited=mask)
        advice.second_look(rgb, mask, model)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """
    ran = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    grown_mb = int(ran.stdout.split()[-1]) / 1024  # ru_maxrss is in KiB on Linux
    # The photo and its mask are 280 MB; the advisor's own copies at full size add about
    # 100 MB (its grey and pooled copies); a square kernel would add gigabytes.
    assert grown_mb < 400, f"advice grew the process by {grown_mb:.0f} MB"


# check_outline: a second look, closer up


def test_a_second_look_points_at_a_head_the_mask_cut_off(astronaut, astronaut_mask, model):
    mask = astronaut_mask.copy()
    mask[:200] = 0  # her head and helmet are lost
    found = advice.second_look(astronaut, mask, model)
    assert found is not None and found.code == "check_outline"
    x, y = found.where
    assert y < 200 and astronaut_mask[y, x] > 0.5


def test_a_second_look_points_at_a_helmet_the_mask_cut_off(astronaut, astronaut_mask, model):
    """A part cut off at the side, as a horse's face or a bike's wheels were: the spot is on it."""
    mask = astronaut_mask.copy()
    mask[330:, 350:] = 0  # the helmet she holds, bottom right
    found = advice.second_look(astronaut, mask, model)
    assert found is not None and found.code == "check_outline"
    x, y = found.where
    assert y >= 330 and x >= 350 and astronaut_mask[y, x] > 0.5
    assert "cut off" in found.message


def test_a_second_look_points_at_a_piece_of_background_kept(astronaut, astronaut_mask, model):
    mask = astronaut_mask.copy()
    mask[40:200, 0:90] = 1.0  # the flag, kept as if it were subject
    found = advice.second_look(astronaut, mask, model)
    assert found is not None
    x, y = found.where
    assert 40 <= y < 200 and x < 90 and astronaut_mask[y, x] < 0.5


def test_a_second_look_agrees_with_a_good_mask(astronaut, astronaut_mask, model):
    assert advice.second_look(astronaut, astronaut_mask, model) is None
