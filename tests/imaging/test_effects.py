import io

import cv2
import numpy as np
import pytest
from PIL import Image

from editor.imaging import effects, pipeline, segment
from editor.reports import metrics
from tests.conftest import encode
from tests.paths import U2NET, U2NET_SHA256


def sharpness(rgb: np.ndarray, where: np.ndarray) -> float:
    """Mean absolute Laplacian (fine detail) over the pixels selected by `where`."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(gray, cv2.CV_32F))[where].mean())


@pytest.fixture(scope="module")
def cameraman_mask(cameraman):
    return segment.predict(cameraman, segment.session(str(U2NET), U2NET_SHA256))


def test_it_keeps_the_subject_sharp_and_blurs_the_background(cameraman, cameraman_mask):
    out = effects.portrait(cameraman, cameraman_mask)
    subject, background = cameraman_mask > 0.95, cameraman_mask < 0.05
    # Away from the outline, so the blend band does not count for either side.
    subject = cv2.erode(subject.astype(np.uint8), np.ones((15, 15))).astype(bool)
    background = cv2.erode(background.astype(np.uint8), np.ones((15, 15))).astype(bool)
    assert sharpness(out, subject) > 0.97 * sharpness(cameraman, subject)
    assert sharpness(out, background) < 0.35 * sharpness(cameraman, background)


def test_the_blend_follows_the_mask():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    half = np.full((64, 64), 0.5, dtype=np.float32)
    blurred = effects.background(rgb, half)
    # With no subject to take out, the background is the ordinary blur of the photo
    # (give or take rounding: one blurs 8-bit values, the other floats).
    plain = effects.gaussian_blur(rgb, effects.blur_sigma(rgb.shape))
    assert np.abs(blurred.astype(int) - plain).max() <= 2
    expected = (rgb.astype(float) + blurred) / 2
    assert np.abs(effects.portrait(rgb, half, fg=rgb).astype(float) - expected).max() <= 1
    assert (effects.portrait(rgb, np.ones((64, 64), np.float32)) == rgb).all()


def test_the_same_photo_at_1_and_12_megapixels_looks_alike(astronaut, cameraman_mask):
    small = cv2.resize(astronaut, (1000, 1000), interpolation=cv2.INTER_CUBIC)
    large = cv2.resize(astronaut, (3464, 3464), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((512, 512), np.float32)  # all background: the whole photo is blurred
    small_out = effects.portrait(small, cv2.resize(mask, (1000, 1000)))
    large_out = effects.portrait(large, cv2.resize(mask, (3464, 3464)))
    shrunk = cv2.resize(large_out, (1000, 1000), interpolation=cv2.INTER_AREA)
    difference = np.abs(shrunk.astype(int) - small_out).mean()
    # A blur fixed in pixels would leave the 12 MP photo far sharper than the 1 MP one.
    fixed = cv2.resize(
        cv2.GaussianBlur(large, (0, 0), effects.blur_sigma(small.shape)),
        (1000, 1000),
        interpolation=cv2.INTER_AREA,
    )
    assert difference < 1.5
    assert np.abs(fixed.astype(int) - small_out).mean() > 3 * difference


def test_a_cutout_carries_the_mask_as_alpha(cameraman, cameraman_mask):
    rgba = effects.cutout(cameraman, cameraman_mask)
    assert rgba.shape == (512, 512, 4)
    seen = rgba[..., 3] > 0
    assert (rgba[..., :3][seen] == cameraman[seen]).all()
    assert np.abs(rgba[..., 3] / 255.0 - cameraman_mask).max() <= 1 / 255 + 1e-6


@pytest.mark.parametrize(
    "tool, fmt, mode", [("portrait", "JPEG", "RGB"), ("cutout", "PNG", "RGBA")]
)
def test_outputs_keep_the_photos_full_resolution(astronaut, tool, fmt, mode):
    photo = np.ascontiguousarray(cv2.resize(astronaut, (1203, 901), interpolation=cv2.INTER_CUBIC))
    rendered = pipeline.render(encode(photo), tool, model_path=str(U2NET), with_mask=True)
    image = Image.open(io.BytesIO(rendered.image))
    mask = Image.open(io.BytesIO(rendered.mask))
    assert (image.format, image.mode, image.size) == (fmt, mode, (1203, 901))
    assert (mask.format, mask.mode, mask.size) == ("PNG", "L", (1203, 901))


def test_the_pipeline_reports_its_stages(astronaut):
    stages = []
    pipeline.render(encode(astronaut), "cutout", model_path=str(U2NET), on_stage=stages.append)
    assert stages == ["segmenting", "compositing"]


def soft_disc(size: int, radius: float, ramp: float) -> np.ndarray:
    """Alpha of a disc in the middle, going from 1 to 0 over `ramp` pixels."""
    y, x = np.mgrid[:size, :size]
    distance = np.hypot(x - size / 2, y - size / 2)
    return np.clip((radius - distance) / ramp + 0.5, 0, 1).astype(np.float32)


def composite(fg: np.ndarray, alpha: np.ndarray, back: np.ndarray) -> np.ndarray:
    a = alpha[..., np.newaxis]
    return (fg * a + back * (1 - a) + 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def scene():
    """A warm subject with a soft outline over a cool, textured background: a known answer."""
    size = 300
    y, x = np.mgrid[:size, :size]
    fg = np.dstack([np.full((size, size), 230), 40 + x * 0.2, np.full((size, size), 30)])
    noise = np.random.default_rng(0).normal(0, 1, (size, size)).astype(np.float32)
    texture = cv2.GaussianBlur(noise, (0, 0), 4) * 60
    back = np.dstack([np.full((size, size), 20), 120 + texture, 200 - y * 0.3])
    fg, back = (np.clip(c, 0, 255).astype(np.uint8) for c in (fg, back))
    return fg, soft_disc(size, 80, 3), back


def test_the_background_beside_the_subject_shows_no_glow_of_its_colours(scene):
    fg, alpha, back = scene
    photo = composite(fg, alpha, back)
    sigma = effects.blur_sigma(photo.shape)
    ideal = composite(fg, alpha, effects.gaussian_blur(back, sigma))
    near = metrics.band(alpha, 2 * sigma)
    ours = metrics.band_error(effects.portrait(photo, alpha), ideal, near)
    plain = metrics.band_error(effects.plain_portrait(photo, alpha), ideal, near)
    assert ours <= plain / 3


def test_taking_the_subject_out_alone_already_halves_the_glow(scene):
    fg, alpha, back = scene
    photo = composite(fg, alpha, back)
    sigma = effects.blur_sigma(photo.shape)
    outside = metrics.band(alpha, 2 * sigma) & (alpha == 0)
    ideal = effects.gaussian_blur(back, sigma)
    ours = metrics.band_error(effects.background(photo, alpha), ideal, outside)
    plain = metrics.band_error(effects.gaussian_blur(photo, sigma), ideal, outside)
    assert ours <= plain / 2


def test_a_stronger_setting_blurs_the_background_more(astronaut):
    background = np.zeros(astronaut.shape[:2], np.float32)
    soft = effects.portrait(astronaut, background, strength=0.005)
    strong = effects.portrait(astronaut, background, strength=0.03)
    change = [np.abs(out.astype(int) - astronaut).mean() for out in (soft, strong)]
    assert change[1] > 1.5 * change[0]


@pytest.fixture(scope="module")
def point_of_light():
    """A small bright light on a dark 600×600 background, all of it background."""
    dark = np.full((600, 600, 3), 20, np.uint8)
    cv2.circle(dark, (300, 300), 1, (255, 255, 255), -1)
    return dark, np.zeros((600, 600), np.float32)


def test_the_lens_style_turns_a_point_of_light_into_a_disc_of_the_set_radius(point_of_light):
    dark, mask = point_of_light
    out = effects.portrait(dark, mask, style="lens")[..., 0].astype(float)
    lit = out > (out.max() + 20) / 2  # half way between the disc and the dark around it
    expected = effects.disc_radius(dark.shape) + 1  # the disc, widened by the light's own size
    assert np.sqrt(lit.sum() / np.pi) == pytest.approx(expected, rel=0.1)
    # Round: as wide along the diagonal as along the axes, and evenly bright inside.
    across = lit[300].sum(), lit[:, 300].sum(), np.diagonal(lit).sum() * np.sqrt(2)
    assert max(across) - min(across) <= 0.1 * expected * 2
    inner = soft_disc(600, 0.7 * expected, 1) > 0.5
    assert out[inner].std() < 5
    assert out.max() > 150  # the light stays bright instead of spreading into a grey haze


def test_the_gaussian_style_spreads_the_same_light_into_a_faint_haze(point_of_light):
    dark, mask = point_of_light
    assert effects.portrait(dark, mask, style="gaussian").max() < 60


def test_an_unknown_blur_style_is_refused(astronaut):
    with pytest.raises(ValueError, match="style"):
        effects.portrait(astronaut, np.zeros(astronaut.shape[:2], np.float32), style="swirl")


def test_a_cutout_of_estimated_colours_carries_them_with_the_mask_as_alpha(scene):
    fg, alpha, _ = scene
    rgba = effects.cutout(fg, alpha)
    assert rgba.dtype == np.uint8 and rgba.shape == (*alpha.shape, 4)
    seen = rgba[..., 3] > 0
    assert (rgba[..., :3][seen] == fg[seen]).all()
    assert (rgba[..., :3][~seen] == 0).all()  # nothing of the removed background
    assert (rgba[alpha == 1, 3] == 255).all() and (rgba[alpha == 0, 3] == 0).all()


def test_on_a_colour_the_subject_covers_the_colour_as_far_as_its_alpha(scene):
    fg, alpha, _ = scene
    out = effects.on_colour(fg, alpha, (0, 0, 255))
    assert (out[alpha == 1] == fg[alpha == 1]).all()
    assert (out[alpha == 0] == (0, 0, 255)).all()
    half = (alpha > 0.45) & (alpha < 0.55)
    expected = fg[half] * alpha[half, None] + np.array([0, 0, 255]) * (1 - alpha[half, None])
    assert np.abs(out[half] - expected).max() <= 1


@pytest.mark.parametrize("fmt", ["png", "webp-lossless"])
def test_a_cutout_file_carries_nothing_of_the_removed_background(astronaut, fmt):
    data = encode(astronaut)
    options = pipeline.Options(format=fmt)
    rendered = pipeline.render(data, "cutout", options=options, model_path=str(U2NET))
    rgba = np.asarray(Image.open(io.BytesIO(rendered.image)).convert("RGBA"))
    gone = rgba[..., 3] == 0
    assert gone.mean() > 0.2  # a real background was removed
    # Not the old pixels, nor anything made from them: nothing at all.
    assert (rgba[..., :3][gone] == 0).all()
    kept = rgba[..., 3] == 255
    photo = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert (rgba[..., :3][kept] == photo[kept]).all()  # and the subject exactly as it was
