"""Turn uploaded bytes into an upright 8-bit RGB array, defensively."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}


@dataclass(frozen=True)
class Probe:
    format: str
    width: int
    height: int


def probe(data: bytes, max_pixels: int) -> Probe:
    """Read only the header: format and size, before any pixel is decoded."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt, (width, height) = im.format or "", im.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError(
            "This file is not a photo we can read. Please upload a JPEG, PNG or WebP image."
        ) from exc
    except Image.DecompressionBombError as exc:
        raise ImageError(_too_big(max_pixels)) from exc
    if fmt not in FORMATS:
        raise ImageError(
            f"{fmt or 'This'} files are not supported. Please upload a JPEG, PNG or WebP image."
        )
    if width < 16 or height < 16:
        raise ImageError(f"This image is only {width}×{height} pixels; it needs at least 16×16.")
    if width * height > max_pixels:
        raise ImageError(_too_big(max_pixels))
    return Probe(FORMATS[fmt], width, height)


def decode(data: bytes, max_pixels: int) -> np.ndarray:
    """Decode to an H×W×3 uint8 RGB array with the EXIF orientation applied."""
    probe(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                upright = ImageOps.exif_transpose(im) or im
                return to_rgb(upright)
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            "This image file is damaged or incomplete, so we could not read it. "
            "Please try exporting it again."
        ) from exc


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


def _high_depth_to_l(im: Image.Image) -> Image.Image:
    # Pillow's convert("L") clips 16-bit values at 255 instead of scaling them.
    arr = np.asarray(im).astype(np.float64)
    top = 255.0 if arr.max(initial=0) <= 255 else 65535.0
    return Image.fromarray(np.clip(arr * (255.0 / top), 0, 255).round().astype(np.uint8), "L")


def _too_big(max_pixels: int) -> str:
    return (
        f"This image is larger than {max_pixels / 1e6:.0f} megapixels. "
        "Please scale it down or crop it and try again."
    )
