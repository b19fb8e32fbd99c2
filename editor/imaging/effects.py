"""What the two tools do with the mask: blur behind the subject, or cut it out."""

from __future__ import annotations

import cv2
import numpy as np

DEFAULT_STRENGTH = 0.012  # blur sigma as a fraction of the photo's longer side
_WORK_SIGMA = 4.0  # large blurs run on a downscaled copy whose sigma is about this


def blur_sigma(shape: tuple[int, ...], strength: float = DEFAULT_STRENGTH) -> float:
    """Sigma in pixels, proportional to size so 1 MP and 12 MP photos look alike."""
    return max(shape[0], shape[1]) * strength


def gaussian_blur(rgb: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur whose cost does not grow with sigma.

    A kernel of sigma 50 on a 12 MP photo is slow and pointless: the result has
    no detail finer than sigma, so we blur a copy shrunk by sigma/4 and scale it
    back, which looks the same and takes a fraction of the time.
    """
    height, width = rgb.shape[:2]
    factor = max(1.0, sigma / _WORK_SIGMA)
    small_size = (max(1, round(width / factor)), max(1, round(height / factor)))
    small = cv2.resize(rgb, small_size, interpolation=cv2.INTER_AREA) if factor > 1 else rgb
    blurred = cv2.GaussianBlur(small, (0, 0), sigma / factor, borderType=cv2.BORDER_REFLECT)
    if factor > 1:
        blurred = cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR)
    return blurred


def portrait(rgb: np.ndarray, mask: np.ndarray, strength: float = DEFAULT_STRENGTH) -> np.ndarray:
    """Sharp where the mask is 1, blurred where it is 0, blended in between."""
    blurred = gaussian_blur(rgb, blur_sigma(rgb.shape, strength))
    alpha = mask[..., np.newaxis].astype(np.float32)
    out = rgb.astype(np.float32) * alpha + blurred.astype(np.float32) * (1.0 - alpha)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def cutout(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """RGBA with the soft mask as alpha."""
    alpha = np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.dstack([rgb, alpha])
