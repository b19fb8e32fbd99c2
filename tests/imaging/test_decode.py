import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from editor.imaging import decode, formats
from editor.imaging.errors import ImageError
from tests.conftest import encode
from tests.hostile import (
    interlaced_png,
    png_chunk,
    png_inflate_bomb,
    png_with_a_cut_stream,
    scan_bomb,
    with_junk_after_the_first_segment,
)

LIMIT = 40_000_000


def _pil_bytes(im: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def test_it_decodes_a_jpeg_to_rgb(astronaut):
    rgb = decode.decode(encode(astronaut), LIMIT).pixels
    assert rgb.shape == (512, 512, 3) and rgb.dtype == np.uint8
    assert np.abs(rgb.astype(int) - astronaut).mean() < 4


@pytest.mark.parametrize(
    "orientation, undo",
    [
        (6, lambda a: np.rot90(a, 1)),  # stored turned left; viewers turn it right
        (8, lambda a: np.rot90(a, -1)),  # stored turned right; viewers turn it left
        (3, lambda a: np.rot90(a, 2)),  # stored upside down
    ],
)
def test_it_applies_the_exif_orientation(astronaut, orientation, undo):
    upright = astronaut[:, 64:448]  # 512 tall × 384 wide, so a rotation shows in the shape
    stored = Image.fromarray(np.ascontiguousarray(undo(upright)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    rgb = decode.decode(_pil_bytes(stored, "JPEG", quality=95, exif=exif), LIMIT).pixels
    assert rgb.shape == upright.shape
    assert np.abs(rgb.astype(int) - upright).mean() < 4


def _modes(astronaut):
    rgb = Image.fromarray(astronaut)
    gray = rgb.convert("L")
    la = Image.merge("LA", (gray, Image.new("L", gray.size, 255)))
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    palette.info["transparency"] = 0
    rgba = rgb.convert("RGBA")
    cmyk = rgb.convert("CMYK")
    sixteen = Image.fromarray(np.asarray(gray).astype("<u2") * 257)
    return {
        "L": _pil_bytes(gray),
        "LA": _pil_bytes(la),
        "P+transparency": _pil_bytes(palette),
        "RGBA": _pil_bytes(rgba),
        "CMYK": _pil_bytes(cmyk, "JPEG", quality=95),
        "I;16": _pil_bytes(sixteen),
    }


@pytest.mark.parametrize("mode", ["L", "LA", "P+transparency", "RGBA", "CMYK", "I;16"])
def test_it_decodes_every_pillow_mode_to_rgb(astronaut, mode):
    rgb = decode.decode(_modes(astronaut)[mode], LIMIT).pixels
    assert rgb.shape == (512, 512, 3) and rgb.dtype == np.uint8
    gray = np.asarray(Image.fromarray(astronaut).convert("L"), dtype=float)
    # Same picture, not a black or clipped one: brightness follows the original.
    assert np.corrcoef(rgb.mean(axis=2).ravel(), gray.ravel())[0, 1] > 0.9


def test_it_scales_16_bit_values_instead_of_clipping_them(astronaut):
    gray = np.asarray(Image.fromarray(astronaut).convert("L"))
    sixteen = Image.fromarray(gray.astype("<u2") * 257)
    rgb = decode.decode(_pil_bytes(sixteen), LIMIT).pixels
    assert np.abs(rgb[..., 0].astype(int) - gray).max() <= 1


def test_it_flattens_transparency_onto_white():
    clear = Image.new("RGBA", (32, 32), (255, 0, 0, 0))
    assert (decode.decode(_pil_bytes(clear), LIMIT).pixels == 255).all()


def test_it_rejects_text_pretending_to_be_a_photo():
    with pytest.raises(ImageError, match="not a photo we can read"):
        decode.decode(b"hello, I am not a JPEG", LIMIT)


def _pillow_upright(data: bytes) -> np.ndarray:
    """What Pillow alone makes of a JPEG: the reference for the faster path."""
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("progressive", [False, True])
def test_a_colour_jpeg_decodes_to_exactly_pillows_pixels(astronaut, orientation, progressive):
    stored = Image.fromarray(np.ascontiguousarray(astronaut[:, 64:448]))  # not square
    exif = Image.Exif()
    exif[decode.ORIENTATION] = orientation
    data = _pil_bytes(stored, "JPEG", quality=90, exif=exif, progressive=progressive)
    assert decode._whole_jpeg(data)  # so OpenCV decodes it, and Pillow is the reference
    assert (decode.decode(data, LIMIT).pixels == _pillow_upright(data)).all()


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9, 0.999])
def test_a_jpeg_cut_short_is_refused_wherever_it_stops(astronaut, cut):
    data = _pil_bytes(Image.fromarray(astronaut), "JPEG", quality=90, progressive=cut > 0.5)
    with pytest.raises(ImageError, match="damaged or incomplete"):
        decode.decode(data[: int(len(data) * cut)], LIMIT)


def test_bytes_after_a_whole_jpeg_do_not_change_its_pixels(astronaut):
    # Phones append video or a second picture after the end-of-image marker.
    data = _pil_bytes(Image.fromarray(astronaut), "JPEG", quality=90)
    padded = data + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
    assert (decode.decode(padded, LIMIT).pixels == decode.decode(data, LIMIT).pixels).all()


def test_it_rejects_a_truncated_jpeg(astronaut):
    data = encode(astronaut)
    with pytest.raises(ImageError, match="damaged or incomplete"):
        decode.decode(data[: len(data) // 2], LIMIT)


def test_it_rejects_a_photo_over_the_pixel_limit_from_its_header(astronaut):
    with pytest.raises(ImageError, match="larger than"):
        decode.probe(encode(astronaut), max_pixels=100_000)


def test_it_rejects_formats_we_do_not_support(astronaut):
    with pytest.raises(ImageError, match="PPM files are not supported"):
        decode.probe(_pil_bytes(Image.fromarray(astronaut), "PPM"), LIMIT)


def test_it_refuses_a_scan_bomb_before_decoding_it():
    with pytest.raises(ImageError, match="more than 64 scans"):
        decode.check(scan_bomb(), LIMIT)
    with pytest.raises(ImageError, match="more than 64 scans"):
        decode.decode(scan_bomb(), LIMIT)  # the worker's decode is bounded the same way


def test_libjpeg_reads_past_junk_between_segments(astronaut):
    data = _pil_bytes(Image.fromarray(astronaut), "JPEG", progressive=True)
    junk = with_junk_after_the_first_segment(data, b"\x00\x17\xff\x00")
    assert decode.check(junk, LIMIT).format == "JPEG"
    assert decode.decode(junk, LIMIT).pixels.shape == astronaut.shape


@pytest.mark.parametrize(
    "disguise",
    [
        pytest.param(lambda jpeg: with_junk_after_the_first_segment(jpeg), id="a junk byte"),
        pytest.param(lambda jpeg: with_junk_after_the_first_segment(jpeg, b"\xff\x00"), id="ff00"),
        pytest.param(lambda jpeg: jpeg.replace(b"\xff\xda", b"\xff\xff\xda"), id="fill bytes"),
    ],
)
def test_a_scan_bomb_is_refused_however_its_markers_are_disguised(disguise):
    bomb = disguise(scan_bomb(repeats=2_000))
    with pytest.raises(ImageError, match="more than 64 scans"):
        decode.check(bomb, LIMIT)
    with pytest.raises(ImageError, match="more than 64 scans"):
        decode.decode(bomb, LIMIT)


def test_the_scans_of_a_progressive_mpo_pair_are_within_the_limit(astronaut):
    left, right = Image.fromarray(astronaut), Image.fromarray(astronaut[:, ::-1])
    mpo = _pil_bytes(left, "MPO", save_all=True, append_images=[right], progressive=True)
    assert mpo.count(b"\xff\xda") == 20  # both pictures' scans are counted
    assert decode.check(mpo, LIMIT).format == "JPEG"


def test_it_still_reads_a_progressive_jpeg(astronaut):
    data = _pil_bytes(Image.fromarray(astronaut), "JPEG", progressive=True)
    assert decode.check(data, LIMIT).format == "JPEG"
    assert decode.decode(data, LIMIT).pixels.shape == astronaut.shape


def test_it_refuses_a_png_whose_compressed_stream_is_cut_short(astronaut):
    png = _pil_bytes(Image.fromarray(astronaut), "PNG")
    assert decode.check(png, LIMIT).format == "PNG"
    with pytest.raises(ImageError, match="damaged or incomplete"):
        decode.check(png_with_a_cut_stream(png), LIMIT)


def test_it_refuses_a_png_that_inflates_far_past_its_header():
    bomb = png_inflate_bomb(side=1000, gigabytes=4)  # 4.2 MB for 3 MB of rows and 4 GiB of zeros
    with pytest.raises(ImageError, match="damaged or incomplete"):
        decode.check(bomb, LIMIT)
    # The worker's Pillow stops after the rows its header promises, and never inflates the rest.
    assert decode.decode(bomb, LIMIT).pixels.shape == (1000, 1000, 3)


def test_it_accepts_a_png_with_a_little_data_after_its_last_row():
    rows = b"".join(b"\x00" + bytes(range(48)) for _ in range(16))
    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    png = b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            png_chunk(b"IHDR", header),
            png_chunk(b"IDAT", zlib.compress(rows + bytes(1000))),
            png_chunk(b"IEND", b""),
        ]
    )
    assert decode.check(png, LIMIT).format == "PNG"
    assert decode.decode(png, LIMIT).pixels[0, 1].tolist() == [3, 4, 5]


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16", "1"])
def test_it_accepts_complete_pngs_of_every_depth(astronaut, mode):
    im = Image.fromarray(astronaut).resize((333, 201))
    if mode == "I;16":
        im = Image.fromarray(np.asarray(im.convert("L")).astype("<u2") * 257)
    assert decode.check(_pil_bytes(im.convert(mode), "PNG"), LIMIT).format == "PNG"


def test_it_accepts_an_interlaced_png_and_refuses_it_cut_short(astronaut):
    pixels = np.ascontiguousarray(astronaut[:203, :301])  # sizes that leave partial Adam7 blocks
    png = interlaced_png(pixels)
    np.testing.assert_array_equal(decode.decode(png, LIMIT).pixels, pixels)
    assert decode.check(png, LIMIT).format == "PNG"
    with pytest.raises(ImageError, match="damaged or incomplete"):
        decode.check(png_with_a_cut_stream(png), LIMIT)


def test_it_refuses_the_2_500_000_by_16_png_before_decoding_it():
    """The red team's 116 KB, 40 MP strip: allowed by its pixels, it took a worker to 14 GB."""
    data = _pil_bytes(Image.new("L", (2_500_000, 16), 90), compress_level=9)
    assert len(data) < 200_000
    with pytest.raises(ImageError, match="2,500,000 pixels wide: we take photos up to 16,383"):
        decode.check(data, LIMIT)
    with pytest.raises(ImageError, match="16,383 pixels a side"):
        decode.decode(data, LIMIT)  # a worker handed one anyway refuses it the same way


@pytest.mark.parametrize(
    "size, message",
    [
        ((20, 16_384), "16,384 pixels tall"),
        ((3_000, 59), "more than 50 times as wide as it is tall"),
        ((40, 2_001), "more than 50 times as tall as it is wide"),
    ],
)
def test_it_refuses_sides_and_shapes_a_stage_cannot_take(size, message):
    with pytest.raises(ImageError, match=message):
        decode.check(_pil_bytes(Image.new("RGB", size)), LIMIT)


def test_it_takes_the_longest_side_and_shape_it_allows():
    for size in ((16_383, 328), (60, 3_000)):
        assert decode.check(_pil_bytes(Image.new("RGB", size)), LIMIT).width == size[0]


def test_the_decoder_reads_every_format_the_pages_list_and_no_other():
    assert set(decode.EXTENSIONS) == set(formats.NAMES) == set(decode.FORMATS.values())
