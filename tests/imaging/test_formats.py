"""Every common format in; the chosen format out, upright, with its colour profile, no GPS."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from editor.imaging import decode, encode, foreground, pipeline, refine

LIMIT = 40_000_000


def _save(pixels: np.ndarray, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt, **params)
    return buf.getvalue()


def _lab_profile() -> bytes:
    """A real colour profile that describes Lab, not RGB pixels."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB", 5000)).tobytes()


SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF", "TIFF", "BMP", "GIF"])
def test_it_reads_every_common_format(astronaut, fmt):
    photo = decode.decode(_save(astronaut, fmt), LIMIT)
    assert photo.pixels.shape == (512, 512, 3)
    tolerance = 40 if fmt == "GIF" else 12  # GIF has 256 colours
    assert np.abs(photo.pixels.astype(int) - astronaut).mean() < tolerance


@pytest.mark.parametrize(
    "fmt, reader, mode",
    [
        ("jpeg", "JPEG", "RGB"),
        ("webp", "WEBP", "RGB"),
        ("png", "PNG", "RGBA"),
        ("webp-lossless", "WEBP", "RGBA"),
    ],
)
def test_each_output_format_round_trips(astronaut, fmt, reader, mode):
    pixels = astronaut if mode == "RGB" else np.dstack([astronaut, astronaut[..., 0]])
    out = Image.open(io.BytesIO(encode.save(pixels, fmt)))
    assert (out.format, out.mode, out.size) == (reader, mode, (512, 512))
    seen = pixels[..., 3] > 0 if mode == "RGBA" else np.ones((512, 512), bool)
    error = np.abs(np.asarray(out, dtype=int) - pixels)[seen].mean()  # hidden pixels may change
    assert error == 0 if fmt in ("png", "webp-lossless") else error < 4


def test_the_colour_profile_is_kept(astronaut):
    photo = decode.decode(_save(astronaut, "JPEG", icc_profile=SRGB), LIMIT)
    assert photo.icc_profile == SRGB
    out = Image.open(io.BytesIO(encode.save(photo.pixels, "webp", icc_profile=photo.icc_profile)))
    assert out.info["icc_profile"] == SRGB


def test_a_profile_that_cannot_describe_rgb_is_dropped(astronaut):
    gray = np.asarray(Image.fromarray(astronaut).convert("L"))
    photo = decode.decode(_save(gray, "PNG", icc_profile=_lab_profile()), LIMIT)
    assert photo.icc_profile is None


def _with_gps(astronaut, orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = orientation
    exif[0x013B] = "Jane Visitor"  # Artist
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 7.5), 3: "E", 4: (4.0, 53.0, 2.0)})
    return _save(astronaut, "JPEG", exif=exif.tobytes())


def test_location_and_personal_tags_are_removed_by_default(astronaut):
    photo = decode.decode(_with_gps(astronaut), LIMIT)
    rendered = pipeline.encode_result(photo.pixels, photo, "portrait", pipeline.Options())
    assert not Image.open(io.BytesIO(rendered.image)).getexif()


def test_camera_details_can_be_kept_but_never_the_location(astronaut):
    photo = decode.decode(_with_gps(astronaut, orientation=6), LIMIT)
    options = pipeline.Options(keep_camera_details=True)
    exif = Image.open(
        io.BytesIO(pipeline.encode_result(photo.pixels, photo, "portrait", options).image)
    ).getexif()
    assert exif[0x010F] == "PhoneMaker"
    assert exif[0x0112] == 1  # the pixels are already upright
    assert 0x013B not in exif and not exif.get_ifd(0x8825)


def test_the_output_is_written_upright(astronaut):
    upright = astronaut[:, 64:448]
    stored = np.ascontiguousarray(np.rot90(upright, 1))
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = decode.decode(_save(stored, "JPEG", quality=95, exif=exif), LIMIT)
    out = Image.open(io.BytesIO(encode.save(photo.pixels, "jpeg")))
    assert out.size == (384, 512) and 0x0112 not in out.getexif()


@pytest.mark.parametrize("size", [(decode.MAX_SIDE, 328), (330, decode.MAX_SIDE)])
def test_the_longest_side_we_take_goes_through_every_stage_and_format(astronaut, size):
    """What decode.check lets in, every later stage and every output format can take."""
    rgb = cv2.resize(astronaut, size, interpolation=cv2.INTER_LINEAR)
    data = _save(rgb, "PNG", compress_level=1)
    photo = decode.decode(decode.check(data, LIMIT) and data, LIMIT)
    height, width = photo.pixels.shape[:2]
    centre = np.zeros((32, 32), np.float32)
    centre[8:24, 8:24] = 1.0
    mask = refine.refine(photo.pixels, centre)
    layers = pipeline.Layers(photo, mask, foreground.estimate(photo.pixels, mask))
    for tool, fmt in [("portrait", "jpeg"), ("portrait", "webp"), ("cutout", "png")]:
        rendered = pipeline.finish(layers, tool, pipeline.Options(format=fmt))
        assert (rendered.width, rendered.height) == (width, height)
    rendered = pipeline.finish(layers, "cutout", pipeline.Options(format="webp-lossless"))
    assert Image.open(io.BytesIO(rendered.image)).size == (width, height)
    assert Image.open(io.BytesIO(encode.mask_png(mask))).size == (width, height)
