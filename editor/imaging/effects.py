"""What the two tools do with the mask: blur behind the subject, or cut it out.

Given the mask and the subject's colours (`foreground.estimate`, computed once
per job), every function here takes well under half a second at 12 MP, so a
stored job can be re-rendered when the visitor changes a setting.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import cv2
import numpy as np

from . import foreground, tiles
from .options import STYLES

DEFAULT_STRENGTH = 0.012  # blur sigma as a fraction of the photo's longer side
_WORK_SIGMA = 4.0  # large blurs run on a downscaled copy whose sigma is about this
_WORK_RADIUS = 8.0  # the same for the lens disc's radius
_DISC_PER_SIGMA = 2.0  # a disc of radius 2σ looks about as soft as a Gaussian of σ
_KNEE = 0.7  # brightness above which the lens treats a pixel as a light source
_GAIN = 30.0  # how hard lights are boosted: white maps to ~270, mid-grey stays 0.5
_EPS = 1e-3  # where no background is near, fall back smoothly to the plain blur
_BAND_ROWS = 128  # rows of the photo turned into blur inputs at a time (~35 MB at 24 MP)
_BANDED_PIXELS = 2_000_000  # photos larger than this are done band by band
TILE = 256  # blending works tile by tile, and skips tiles that are all subject or all background


def blur_sigma(shape: tuple[int, ...], strength: float = DEFAULT_STRENGTH) -> float:
    """Sigma in pixels, proportional to size so 1 MP and 12 MP photos look alike."""
    return max(shape[0], shape[1]) * strength


def disc_radius(shape: tuple[int, ...], strength: float = DEFAULT_STRENGTH) -> float:
    """Radius in pixels of the lens style's out-of-focus disc."""
    return _DISC_PER_SIGMA * blur_sigma(shape, strength)


def gaussian_blur(rgb: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur whose cost does not grow with sigma.

    A kernel of sigma 50 on a 12 MP photo is slow and pointless: the result has
    no detail finer than sigma, so we blur a copy shrunk by sigma/4 and scale it
    back, which looks the same and takes a fraction of the time.
    """
    height, width = rgb.shape[:2]
    factor = max(1.0, sigma / _WORK_SIGMA)
    small = _shrink(rgb, factor)
    blurred = cv2.GaussianBlur(small, (0, 0), sigma / factor, borderType=cv2.BORDER_REFLECT)
    if factor > 1:
        blurred = cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR)
    return blurred


def background(
    rgb: np.ndarray, mask: np.ndarray, strength: float = DEFAULT_STRENGTH, style: str = "gaussian"
) -> np.ndarray:
    """The photo's background, blurred, with the subject taken out first.

    Normalised convolution: blur(photo·w) / blur(w) with w the background's
    weight, so each output pixel averages background pixels only. Next to the
    outline it shows background instead of a glow of the subject's colours.
    """
    if style not in STYLES:
        raise ValueError(f"unknown blur style {style!r}")
    height, width = rgb.shape[:2]
    factor, blur = _work_scale_blur(rgb.shape, strength, style)
    weighted, values, weight = _shrunk_terms(rgb, mask, factor, style)
    numerator = blur(weighted) + _EPS * blur(values)
    blurred = numerator / (blur(weight) + _EPS)[..., np.newaxis]
    if style == "lens":
        blurred = _unboost(blurred)
    small = np.clip(blurred * 255 + 0.5, 0, 255).astype(np.uint8)
    if factor == 1:
        return small
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _shrunk_terms(
    rgb: np.ndarray, mask: np.ndarray, factor: float, style: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """photo·w, photo and w, each shrunk `factor` times, made band by band.

    At full size these would be three float copies of the photo (about 1 GB at
    24 MP); a band of rows at a time keeps only the small results. Large photos
    get a whole-number factor, so each band shrinks to whole rows exactly as the
    photo would; small ones are done in one band, with any factor.
    """
    height, width = rgb.shape[:2]
    small_width = max(1, round(width / factor))
    whole = int(factor)
    band = whole * max(1, _BAND_ROWS // whole) if whole == factor else height
    tops = range(0, height, band)
    parts: list[tuple[np.ndarray, ...]] = [()] * len(tops)

    def shrink_band(index: int) -> None:
        rows = slice(tops[index], min(tops[index] + band, height))
        # The lens blur averages boosted values, so lights stay bright (see _boost_table).
        values = _boost(rgb[rows]) if style == "lens" else _unit(rgb[rows])
        weight = _background_weight(mask[rows])
        weighted = cv2.multiply(values, cv2.cvtColor(weight, cv2.COLOR_GRAY2RGB))
        size = (small_width, max(1, round((rows.stop - rows.start) / factor)))
        parts[index] = tuple(
            cv2.resize(x, size, interpolation=cv2.INTER_AREA) if factor > 1 else x
            for x in (weighted, values, weight)
        )

    tiles.each(shrink_band, range(len(tops)))
    weighted, values, weight = (np.concatenate([part[k] for part in parts]) for k in range(3))
    return weighted, values, weight


def _unit(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) * np.float32(1 / 255)


def portrait(
    rgb: np.ndarray,
    mask: np.ndarray,
    strength: float = DEFAULT_STRENGTH,
    style: str = "gaussian",
    *,
    fg: np.ndarray | None = None,
) -> np.ndarray:
    """Sharp where the mask is 1, the subject-free blurred background where it is 0.

    Edge pixels are composited from the subject's own colour `fg`, so they lose
    the sharp background they carried. It is `foreground.estimate(rgb, mask)`,
    computed here unless given; pass it in to re-render quickly.
    """
    if fg is None:
        fg = foreground.estimate(rgb, mask)
    return _over(fg, mask, background(rgb, mask, strength, style))


def plain_portrait(
    rgb: np.ndarray, mask: np.ndarray, strength: float = DEFAULT_STRENGTH
) -> np.ndarray:
    """The reference method: blur the whole photo, subject included, then blend."""
    blurred = gaussian_blur(rgb, blur_sigma(rgb.shape, strength))
    alpha = mask[..., np.newaxis].astype(np.float32)
    out = rgb.astype(np.float32) * alpha + blurred.astype(np.float32) * (1.0 - alpha)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def cutout(fg: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """RGBA with the soft mask as alpha, and nothing of the old background.

    Pass `foreground.estimate(rgb, alpha)` as `fg` for clean edges; the raw
    photo works too but its edge pixels carry the old background's colour.
    Where alpha is 0 the colour is 0 as well, which compositing tools expect,
    which leaves no trace of the removed background in the file, and which
    makes the PNG several times smaller and faster to write.
    """
    rgba = np.zeros((*alpha.shape, 4), np.uint8)

    def fill(tile: tuple[slice, slice], low: float, high: float) -> None:
        if high == 0:
            return
        rgba[tile][..., :3] = fg[tile]
        rgba[tile][..., 3] = 255 if low >= 1 else _to_uint8(alpha[tile])
        if low < 1:
            rgba[tile][rgba[tile][..., 3] == 0] = 0

    _each_tile(alpha, fill)
    return rgba


def on_colour(fg: np.ndarray, alpha: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """The subject on a solid colour (RGB 0..255)."""
    solid = np.empty_like(fg)
    solid[:] = np.asarray(colour, np.uint8)
    return _over(fg, alpha, solid)


def _work_scale_blur(
    shape: tuple[int, ...], strength: float, style: str
) -> tuple[float, Callable[[np.ndarray], np.ndarray]]:
    """How much to shrink the photo, and the blur to run on the shrunk copy.

    Above _BANDED_PIXELS the factor is rounded down to a whole number (see
    _shrunk_terms): the work copy is then a little larger, never coarser.
    """

    def whole_if_large(factor: float) -> float:
        return float(int(factor)) if shape[0] * shape[1] > _BANDED_PIXELS else factor

    if style == "lens":
        radius = disc_radius(shape, strength)
        factor = whole_if_large(max(1.0, radius / _WORK_RADIUS))
        kernel = _disc(radius / factor)
        return factor, lambda x: cv2.filter2D(x, -1, kernel, borderType=cv2.BORDER_REFLECT)
    sigma = blur_sigma(shape, strength)
    factor = whole_if_large(max(1.0, sigma / _WORK_SIGMA))
    return factor, lambda x: cv2.GaussianBlur(
        x, (0, 0), sigma / factor, borderType=cv2.BORDER_REFLECT
    )


def _over(fg: np.ndarray, alpha: np.ndarray, back: np.ndarray) -> np.ndarray:
    """fg over `back` (which it overwrites), blending only the tiles that need it."""

    def blend(tile: tuple[slice, slice], low: float, high: float) -> None:
        if high == 0:
            return
        if low >= 1:
            back[tile] = fg[tile]
            return
        a = np.clip(alpha[tile].astype(np.float32, copy=False), 0.0, 1.0)
        back[tile] = cv2.blendLinear(fg[tile], back[tile], a, 1.0 - a)

    _each_tile(alpha, blend)
    return back


Visit = Callable[[tuple[slice, slice], float, float], None]


def _each_tile(alpha: np.ndarray, work: Visit) -> None:
    """Call `work` on each TILE×TILE block of the mask, with its lowest and highest value.

    Most of a photo is clearly subject or clearly background; only the tiles
    the outline crosses need a per-pixel blend.
    """

    def visit(corner: tuple[int, int]) -> None:
        tile = (slice(corner[0], corner[0] + TILE), slice(corner[1], corner[1] + TILE))
        low, high, _, _ = cv2.minMaxLoc(alpha[tile])
        work(tile, low, high)

    tiles.each(visit, tiles.corners(alpha.shape[0], alpha.shape[1], TILE))


def _background_weight(mask: np.ndarray) -> np.ndarray:
    """How much a pixel counts as background: only clearly outside pixels count fully.

    Edge pixels are part subject, so they are weighted by (1 - mask)², not 1 - mask.
    """
    weight = 1.0 - np.clip(mask.astype(np.float32, copy=False), 0.0, 1.0)
    return cv2.multiply(weight, weight)


def _shrink(image: np.ndarray, factor: float) -> np.ndarray:
    if factor <= 1:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _to_uint8(mask: np.ndarray) -> np.ndarray:
    return np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _disc(radius: float) -> np.ndarray:
    """A flat, anti-aliased disc kernel, summing to 1: the shape of an open aperture."""
    reach = int(np.ceil(radius))
    y, x = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    kernel = np.clip(radius + 0.5 - np.hypot(x, y), 0.0, 1.0).astype(np.float32)
    return kernel / kernel.sum()


@functools.cache
def _boost_table() -> np.ndarray:
    """8-bit value → linear below the knee, exponential above it (continuous, smooth).

    Averaging in this space lets a small light outweigh its dark surroundings,
    so after the disc blur it stays bright and round instead of fading to grey.
    """
    v = np.arange(256, dtype=np.float64) / 255
    above = np.maximum(v - _KNEE, 0.0)
    return (np.minimum(v, _KNEE) + np.expm1(_GAIN * above) / _GAIN).astype(np.float32)


def _boost(rgb: np.ndarray) -> np.ndarray:
    """Boost each pixel by one gain read from its brightness, not channel by channel.

    Boosting channels separately bends hues: at the rim of an orange light's
    disc the red channel stays above the knee while green falls below it, and
    the disc gets a red ring. A common gain keeps every light its own colour.
    """
    brightness = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    v = np.arange(256, dtype=np.float32) / 255
    gain = _boost_table() / np.maximum(v, 1 / 255)
    return cv2.multiply(rgb, cv2.cvtColor(gain[brightness], cv2.COLOR_GRAY2RGB),
                        scale=1 / 255, dtype=cv2.CV_32F)  # fmt: skip


def _unboost(values: np.ndarray) -> np.ndarray:
    """Undo `_boost` on blurred values, again with one factor per pixel."""
    brightness = cv2.cvtColor(values, cv2.COLOR_RGB2GRAY)
    above = np.maximum(brightness - _KNEE, 0.0)
    back = np.minimum(brightness, _KNEE) + np.log1p(_GAIN * above) / _GAIN
    return values * (back / np.maximum(brightness, 1e-6))[..., np.newaxis]
