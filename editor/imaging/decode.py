"""Turn uploaded bytes into an upright 8-bit RGB photo, defensively.

The header is read first (format, size) so that a decompression bomb or an
unsupported file is refused before a single pixel is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

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
SUPPORTED = f"{', '.join(list(EXTENSIONS)[:-1])} or {list(EXTENSIONS)[-1]}"  # for messages


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
    return Probe(FORMATS[fmt], width, height)


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
                else:
                    if im.format in ("JPEG", "MPO"):
                        im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
                    im.load()
    except (OSError, ValueError, SyntaxError, EOFError, TypeError) as exc:
        raise ImageError(_DAMAGED) from exc
    return found


def decode(data: bytes, max_pixels: int) -> Photo:
    """Decode the first frame to upright RGB, keeping an RGB colour profile if there is one."""
    probe(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                im.seek(0)  # animations: the first frame
                im.load()
                exif = im.info.get("exif")
                icc = im.info.get("icc_profile") or None
                upright = ImageOps.exif_transpose(im) or im
                pixels, icc = _to_rgb_with_profile(upright, icc)
                return Photo(pixels, icc, exif if isinstance(exif, bytes) else None)
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, TypeError) as exc:
        raise ImageError(_DAMAGED) from exc


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
    return np.asarray(im, dtype=np.uint8).copy()


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
