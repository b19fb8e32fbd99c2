"""Full-resolution mask edges: a guided filter steered by the photo.

The network sees 320×320, so a plain upscale gives a 12 MP photo an outline
that is a dozen pixels of mush. A guided filter (He, Sun and Tang, 2010) fits
the mask, window by window, as a linear function of the photo's colours, so the
outline snaps to the photo's own edges and strands of hair come back.

The fit itself is smooth, so it runs on a reduced copy (the "fast guided
filter", He and Sun 2015) and only the final a·I + b is evaluated at full size.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import segment, tiles

# Tuned on the evaluation set (`manage.py quality`): MAE, max F and boundary F all improve.
RADIUS = 3.0  # window radius, in pixels of the network's 320 px map
EPS = 1e-4  # regularisation: larger keeps the mask smoother where the photo is flat
CONTRAST_IN = 4.0  # steepens the upscaled map first, so the filter has an outline to snap
CONTRAST_OUT = 2.0  # the filter softens as it aligns; this restores a crisp, still soft edge
WORK_SIDE = 1024  # longest side the fit runs at; the outline is snapped at full size
TILE = 256  # the full-size step works tile by tile
_SOLID = 0.5 + 0.5 / CONTRAST_OUT  # a·I + b from here up ends as exactly 1 (and mirrored, 0)


def work_copy(rgb: np.ndarray) -> np.ndarray:
    """The photo at most WORK_SIDE pixels long (area-averaged), or the photo itself.

    Shrinking a 12 MP photo reads all of it (about 14 ms on two cores); made
    once, the copy serves the fit here, the network's input and the edge
    colours' wide pass, which each shrink it further for next to nothing.
    """
    height, width = rgb.shape[:2]
    scale = WORK_SIDE / max(height, width)
    if scale >= 1:
        return rgb
    work = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, work, interpolation=cv2.INTER_AREA)


def refine(
    rgb: np.ndarray,
    soft: np.ndarray,
    radius: float = RADIUS,
    eps: float = EPS,
    *,
    shrunk: np.ndarray | None = None,
) -> np.ndarray:
    """The network's low-resolution map `soft`, brought to the photo's H×W with sharp edges.

    `shrunk` is `work_copy(rgb)`, when the caller has it already.
    Returns float32 in 0..1, like `segment.upscale`, which stays the plain reference.
    """
    small = work_copy(rgb) if shrunk is None else shrunk
    guide = _unit(small)
    mask = _contrast(segment.upscale(soft, guide.shape), CONTRAST_IN)
    window = max(1, round(radius * max(guide.shape[:2]) / max(soft.shape)))
    a, b = _banded_coefficients(guide, mask, window, eps)
    if small is rgb:
        return _contrast(_apply(rgb, a, b), CONTRAST_OUT)
    return _full_size(rgb, a, b)


def _full_size(rgb: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a·I + b at the photo's size, tile by tile, skipping tiles whose answer is known.

    Where the coefficients allow no colour to lift a·I + b past 0.25 (or drop
    it below 0.75) the final contrast clips the tile to exactly 0 (or 1), so the
    full-size arithmetic runs only along the outline: the same mask, a fraction
    of the time, and no full-size float copies of the photo.
    """
    height, width = rgb.shape[:2]
    # a·I + b over every colour I in 0..1 (cv2.transform sums the channels: numpy's
    # sum over a last axis of 3 took as long as the tiles' own work).
    channels = np.ones((1, 3), np.float32)
    lowest = cv2.transform(np.minimum(a, 0), channels) + b
    highest = cv2.transform(np.maximum(a, 0), channels) + b
    out = np.zeros((height, width), np.float32)  # fresh zero pages: background tiles cost nothing
    sy, sx = a.shape[0] / height, a.shape[1] / width

    def fill(corner: tuple[int, int]) -> None:
        top, left = corner
        bottom, right = min(top + TILE, height), min(left + TILE, width)
        near = (_reads(top, bottom, sy), _reads(left, right, sx))
        tile = out[top:bottom, left:right]
        if lowest[near].min() >= _SOLID:
            tile[:] = 1.0
        elif highest[near].max() > 1 - _SOLID:
            box = (top, left, bottom - top, right - left)
            up_a, up_b = (tiles.crop_resize(x, box, (width, height)) for x in (a, b))
            tile[:] = _contrast(_apply(rgb[top:bottom, left:right], up_a, up_b), CONTRAST_OUT)

    tiles.each(fill, tiles.corners(height, width, TILE))
    return out


def _reads(start: int, stop: int, scale: float) -> slice:
    """The coefficient rows (or columns) that bilinear upscaling reads for start..stop."""
    return slice(max(0, int((start + 0.5) * scale - 0.5)), int((stop - 0.5) * scale - 0.5) + 2)


def _apply(rgb: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a·I + b straight from the 8-bit photo: no float copy of it."""
    weighted = cv2.multiply(rgb, a, dtype=cv2.CV_32F)
    return cv2.transform(weighted, np.full((1, 3), 1 / 255, np.float32)) + b


def _contrast(mask: np.ndarray, gain: float) -> np.ndarray:
    """Steepen about 0.5 and clip to 0..1."""
    out = (mask - np.float32(0.5)) * np.float32(gain) + np.float32(0.5)
    return np.clip(out, 0.0, 1.0, out=out)


def _unit(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) * np.float32(1 / 255)


def _banded_coefficients(
    guide: np.ndarray, mask: np.ndarray, radius: int, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """_coefficients in bands of rows on the process's threads, with the same result.

    Each band reads 2·radius rows beyond its own (the window of the window
    means), so the rows it keeps are exactly what the whole-photo filter gives.
    """
    height = mask.shape[0]
    count = max(1, min(cv2.getNumThreads(), height // (8 * radius)))
    if count == 1:
        return _coefficients(guide, mask, radius, eps)
    edges = [height * k // count for k in range(count + 1)]
    a = np.empty((*mask.shape, 3), np.float32)
    b = np.empty(mask.shape, np.float32)

    def band(k: int) -> None:
        top, bottom = edges[k], edges[k + 1]
        start, stop = max(0, top - 2 * radius), min(height, bottom + 2 * radius)
        band_a, band_b = _coefficients(guide[start:stop], mask[start:stop], radius, eps)
        a[top:bottom], b[top:bottom] = (
            band_a[top - start : bottom - start],
            band_b[top - start : bottom - start],
        )

    tiles.each(band, range(count))
    return a, b


def _coefficients(
    guide: np.ndarray, mask: np.ndarray, radius: int, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel a (H×W×3) and b (H×W) of the colour guided filter, already window-averaged."""
    size = (2 * radius + 1, 2 * radius + 1)

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, cv2.CV_32F, size, borderType=cv2.BORDER_REFLECT)

    mean_i = mean(guide)
    mean_p = mean(mask)
    cov_ip = mean(guide * mask[..., None]) - mean_i * mean_p[..., None]
    # The 3×3 colour covariance per window, as its six distinct entries.
    pairs = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    var = {
        (i, j): mean(guide[..., i] * guide[..., j]) - mean_i[..., i] * mean_i[..., j]
        for i, j in pairs
    }
    for i in range(3):
        var[i, i] += eps
    a = _solve(var, cov_ip)
    b = mean_p - np.einsum("hwc,hwc->hw", a, mean_i)
    return mean(a), mean(b)


def _solve(var: dict[tuple[int, int], np.ndarray], rhs: np.ndarray) -> np.ndarray:
    """Solve the symmetric 3×3 systems var · a = rhs for every pixel at once (Cramer's rule)."""
    s00, s01, s02, s11, s12, s22 = (var[k] for k in sorted(var))
    c00 = s11 * s22 - s12 * s12
    c01 = s02 * s12 - s01 * s22
    c02 = s01 * s12 - s02 * s11
    c11 = s00 * s22 - s02 * s02
    c12 = s01 * s02 - s00 * s12
    c22 = s00 * s11 - s01 * s01
    det = s00 * c00 + s01 * c01 + s02 * c02
    r0, r1, r2 = rhs[..., 0], rhs[..., 1], rhs[..., 2]
    a = np.stack(
        [
            c00 * r0 + c01 * r1 + c02 * r2,
            c01 * r0 + c11 * r1 + c12 * r2,
            c02 * r0 + c12 * r1 + c22 * r2,
        ],
        axis=-1,
    )
    return a / det[..., None]
