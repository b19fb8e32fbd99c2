import io

import cv2
import numpy as np
import pytest
from PIL import Image

from editor.imaging import effects, pipeline, segment
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
    blurred = effects.gaussian_blur(rgb, effects.blur_sigma(rgb.shape))
    expected = (rgb.astype(float) + blurred) / 2
    assert np.abs(effects.portrait(rgb, half).astype(float) - expected).max() <= 1
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
    assert (rgba[..., :3] == cameraman).all()
    assert np.abs(rgba[..., 3] / 255.0 - cameraman_mask).max() <= 1 / 255 + 1e-6


@pytest.mark.parametrize(
    "tool, fmt, mode", [("portrait", "JPEG", "RGB"), ("cutout", "PNG", "RGBA")]
)
def test_outputs_keep_the_photos_full_resolution(astronaut, tool, fmt, mode):
    photo = np.ascontiguousarray(cv2.resize(astronaut, (1203, 901), interpolation=cv2.INTER_CUBIC))
    rendered = pipeline.render(encode(photo), tool, model_path=str(U2NET))
    image = Image.open(io.BytesIO(rendered.image))
    mask = Image.open(io.BytesIO(rendered.mask))
    assert (image.format, image.mode, image.size) == (fmt, mode, (1203, 901))
    assert (mask.format, mask.mode, mask.size) == ("PNG", "L", (1203, 901))


def test_the_pipeline_reports_its_stages(astronaut):
    stages = []
    pipeline.render(encode(astronaut), "cutout", model_path=str(U2NET), on_stage=stages.append)
    assert stages == ["segmenting", "compositing"]
