"""Turn uploaded bytes into an upright 8-bit RGB photo, defensively.

The header is read first (format, size) so that a decompression bomb or an
unsupported file is refused before a single pixel is decoded.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from . import formats
from .errors import ImageError

pillow_heif.register_heif_opener()

# Pillow's format name -> the name we show; MPO is the multi-picture JPEG many cameras write.
FORMATS = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "HEIF": "HEIC",
    "TIFF": "TIFF",
    "BMP": "BMP",
    "GIF": "GIF",
}
MIN_SIDE = 16
# Memory and time should grow with a photo's pixels, whatever its shape; past
# these a stage or an encoder fails instead. WebP, one of the formats a visitor
# may choose after the upload, holds at most 16,383 pixels a side (JPEG 65,535,
# libpng 1,000,000); and a photo 50 times as long as it is wide leaves the
# network a strip one pixel high to look at.
MAX_SIDE = 16_383
MAX_ASPECT = 50
ORIENTATION = 0x0112  # the EXIF tag
# Cameras and editors write 1 to about 20 scans; each scan of a 40 MP photo can
# cost the decoder 8 ms even when it holds a few bytes, so a file that repeats
# one tiny scan thousands of times would tie up a process for minutes.
MAX_SCANS = 64
# libpng only warns about a little extra data after a PNG's last row, so such
# files exist; far more than this is a stream built to be inflated for nothing.
_PNG_SLACK = 1 << 20
_DAMAGED = (
    "This image file is damaged or incomplete, so we could not read it. "
    "Please try exporting it again."
)
EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WebP": "webp",
    "HEIC": "heic",
    "TIFF": "tif",
    "BMP": "bmp",
    "GIF": "gif",
}
SUPPORTED = formats.LISTED  # for messages


@dataclass(frozen=True)
class Probe:
    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


@dataclass(frozen=True)
class Photo:
    pixels: np.ndarray  # H×W×3 uint8 RGB, upright
    icc_profile: bytes | None  # an RGB colour profile to embed again, if the photo had one
    exif: bytes | None  # the original EXIF block, for callers that choose to keep some of it


def probe(data: bytes, max_pixels: int) -> Probe:
    """Read only the header: format and size, before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                fmt, (width, height) = im.format or "", im.size
    except Image.DecompressionBombError as exc:
        raise ImageError(_too_big(max_pixels)) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageError(
            f"This file is not a photo we can read. Please upload a {SUPPORTED} image."
        ) from exc
    if fmt not in FORMATS:
        raise ImageError(f"{fmt} files are not supported. Please upload a {SUPPORTED} image.")
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ImageError(
            f"This image is only {width}×{height} pixels; it needs at least {MIN_SIDE}×{MIN_SIDE}."
        )
    if width * height > max_pixels:
        raise ImageError(_too_big(max_pixels))
    _check_shape(width, height)
    if fmt in ("JPEG", "MPO"):
        check_scans(data)
    return Probe(FORMATS[fmt], width, height)


def _check_shape(width: int, height: int) -> None:
    """Refuse a side or a shape that some stage could not take (see MAX_SIDE)."""
    long_side, short_side = max(width, height), min(width, height)
    side = "wide" if width >= height else "tall"
    if long_side > MAX_SIDE:
        raise ImageError(
            f"This photo is {long_side:,} pixels {side}: we take photos up to {MAX_SIDE:,} "
            "pixels a side. Please scale it down or crop it and try again."
        )
    if long_side > MAX_ASPECT * short_side:
        raise ImageError(
            f"This photo is {width:,}×{height:,} pixels, more than {MAX_ASPECT} times as "
            f"{side} as it is {'tall' if side == 'wide' else 'wide'}. Please crop it to a "
            "less extreme shape and try again."
        )


def check(data: bytes, max_pixels: int) -> Probe:
    """Probe, then read the whole file cheaply, so a truncated upload is refused at once.

    JPEGs decode at 1/8 scale (the whole stream is still read), PNGs have every
    chunk's checksum verified without inflating pixels; other formats decode
    in full, which is what the worker would do anyway.
    """
    found = probe(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                if im.format == "PNG":
                    im.verify()
                    check_png_stream(data)
                else:
                    if im.format in ("JPEG", "MPO"):
                        im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
                    im.load()
    except (OSError, ValueError, SyntaxError, EOFError, TypeError) as exc:
        raise ImageError(_DAMAGED) from exc
    return found


def check_scans(data: bytes) -> None:
    """Refuse a JPEG with more scans than any encoder writes, before decoding it.

    Every scan libjpeg decodes starts with the bytes FF DA, so counting those in
    the whole file bounds its work from above (an MPO's later pictures count too,
    far below the limit for a camera's pair); a parse of the markers could be
    led astray by junk bytes that libjpeg skips and decodes past.
    """
    if data.count(b"\xff\xda") > MAX_SCANS:
        raise ImageError(
            f"This JPEG is split into more than {MAX_SCANS} scans, far more than cameras or "
            "editors write, and would take too long to read. Please save it again as an "
            "ordinary JPEG."
        )


def check_png_stream(data: bytes) -> None:
    """Inflate a PNG's pixel data, keeping none of it, to find a stream cut short or padded.

    Chunk checksums can all be right around a compressed stream that stops
    early; only inflating it shows that. Inflating stops a little past the
    size the header implies, so a few megabytes that inflate to gigabytes cost
    no more than the real picture would. Memory stays at one megabyte.
    """
    if len(data) < 33:
        raise ImageError(_DAMAGED)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 4)
    expected = _png_raw_size(width, height, channels * depth, interlace)
    inflate, pos, size = zlib.decompressobj(), 8, 0
    try:
        while pos + 8 <= len(data) and not inflate.eof:
            length, kind = struct.unpack(">I4s", data[pos : pos + 8])
            if kind == b"IDAT":
                chunk = data[pos + 8 : pos + 8 + length]
                while chunk and not inflate.eof:
                    size += len(inflate.decompress(chunk, 1 << 20))
                    chunk = inflate.unconsumed_tail
                    if size > expected + _PNG_SLACK:
                        raise ImageError(_DAMAGED)
            pos += 12 + length
    except zlib.error as exc:
        raise ImageError(_DAMAGED) from exc
    if not inflate.eof or size < expected:
        raise ImageError(_DAMAGED)


def _png_raw_size(width: int, height: int, bits: int, interlace: int) -> int:
    """Bytes of filtered rows a complete PNG inflates to (Adam7 passes when interlaced)."""
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4)]
    passes += [(1, 0, 2, 2), (0, 1, 1, 2)]
    size = 0
    for x0, y0, dx, dy in passes if interlace else [(0, 0, 1, 1)]:
        columns, rows = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if columns > 0 and rows > 0:
            size += rows * (1 + -(-columns * bits // 8))
    return size


def decode(data: bytes, max_pixels: int) -> Photo:
    """Decode the first frame to upright RGB, keeping an RGB colour profile if there is one."""
    probe(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                exif = im.info.get("exif")
                exif = exif if isinstance(exif, bytes) else None
                icc = im.info.get("icc_profile") or None
                if im.format == "JPEG" and im.mode == "RGB" and _whole_jpeg(data):
                    pixels = _decode_jpeg(data, im.getexif().get(ORIENTATION, 1))
                    return Photo(pixels, icc if _colour_space(icc) == "RGB" else None, exif)
                im.seek(0)  # animations: the first frame
                im.load()
                ImageOps.exif_transpose(im, in_place=True)  # no copy when already upright
                pixels, icc = _to_rgb_with_profile(im, icc)
                return Photo(pixels, icc, exif)
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, TypeError) as exc:
        raise ImageError(_DAMAGED) from exc


# A marker inside a JPEG's coded data: FF then anything but a stuffed zero, a restart or fill.
_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_SOS, _EOI = 0xDA, 0xD9


def _whole_jpeg(data: bytes) -> bool:
    """Whether the first picture's markers and coded data run on to its end-of-image marker.

    libjpeg only warns about a stream cut short and fills the rest with grey;
    Pillow turns that into an error, OpenCV does not. So OpenCV decodes only
    streams known to be whole, and everything else takes Pillow's path.
    """
    pos = 2  # after the start-of-image marker
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == _EOI:
            return True
        if pos + 4 > len(data):
            return False
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker == _SOS:
            found = _MARKER.search(data, pos)
            if found is None:
                return False
            pos = found.start()
    return False


def _decode_jpeg(data: bytes, orientation: int) -> np.ndarray:
    """A whole baseline or progressive colour JPEG, upright, through OpenCV's libjpeg-turbo.

    The pixels are exactly Pillow's (the same libjpeg-turbo settings), made in
    a third of the time: Pillow keeps RGB as four bytes a pixel, so handing its
    picture to NumPy costs a second pass as long as the decoding itself.
    """
    import cv2  # here, not above: the web checks uploads with this module but never decodes

    flags = cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if pixels is None:
        raise ImageError(_DAMAGED)
    transpose, flip = _UPRIGHT.get(orientation, (False, None))
    if transpose:
        pixels = cv2.transpose(pixels)
    return pixels if flip is None else cv2.flip(pixels, flip)


# EXIF orientation -> (transpose first?, then cv2.flip's code: 1 mirror, 0 upside down, -1 both),
# the same turns as ImageOps.exif_transpose.
_UPRIGHT = {
    2: (False, 1),
    3: (False, -1),
    4: (False, 0),
    5: (True, None),
    6: (True, 1),
    7: (True, -1),
    8: (True, 0),
}


def to_rgb(im: Image.Image) -> np.ndarray:
    """Convert any Pillow mode to 8-bit RGB, flattening transparency onto white."""
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        im = _high_depth_to_l(im)
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("LA", "La", "PA", "RGBa"):
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    if im.mode != "RGB":
        im = im.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
    # Read-only, and no second copy: nothing writes into a photo (a 24 MP copy is 72 MB).
    return np.asarray(im, dtype=np.uint8)


def _to_rgb_with_profile(im: Image.Image, icc: bytes | None) -> tuple[np.ndarray, bytes | None]:
    """RGB pixels, plus the profile only when it describes RGB pixels.

    A CMYK photo's profile is used to convert it to sRGB and then dropped; a
    gray profile cannot describe RGB output either.
    """
    space = _colour_space(icc)
    if im.mode == "CMYK" and space == "CMYK":
        try:
            srgb = ImageCms.createProfile("sRGB")
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            im = ImageCms.profileToProfile(im, source, srgb, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: fall back to Pillow's plain conversion
    return to_rgb(im), icc if space == "RGB" else None


def _colour_space(icc: bytes | None) -> str | None:
    if not icc:
        return None
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.xcolor_space.strip()
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None  # unreadable: do not carry it over


def _high_depth_to_l(im: Image.Image) -> Image.Image:
    # Pillow's convert("L") clips 16-bit values at 255 instead of scaling them.
    arr = np.asarray(im).astype(np.float64)
    top = 255.0 if arr.max(initial=0) <= 255 else 65535.0
    scaled = np.clip(arr * (255.0 / top), 0, 255).round().astype(np.uint8)
    return Image.fromarray(scaled)


def _too_big(max_pixels: int) -> str:
    return (
        f"This image is larger than {max_pixels / 1e6:.0f} megapixels. "
        "Please scale it down or crop it and try again."
    )
