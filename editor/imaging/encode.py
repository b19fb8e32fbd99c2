"""Arrays to file bytes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def jpeg(rgb: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, optimize=True, subsampling=0)
    return buf.getvalue()


def png(pixels: np.ndarray) -> bytes:
    """uint8 H×W (gray), H×W×3 (RGB) or H×W×4 (RGBA) to PNG."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def mask_png(mask: np.ndarray) -> bytes:
    """The soft 0..1 mask as an 8-bit grayscale PNG."""
    return png(np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8))
