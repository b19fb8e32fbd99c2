"""The subject's own colour at its edges, so a cutout carries no fringe of the old background.

An edge pixel is a mix: photo = α·F + (1 − α)·B. Putting the photo's colour on a
new background keeps the (1 − α)·B part, a visible rim of the old one. We
estimate F with blur fusion (Forte and Pitié, "Approximate fast foreground
colour estimation", ICIP 2021): local mean colours of the subject and of the
background, from box blurs weighted by α and 1 − α, and then the residual of
the compositing equation added back in proportion to α. A wide pass gives a
smooth first guess and narrower ones follow detail. The paper finds this close
to the closed-form ML estimate (pymatting) at a fraction of its cost.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import tiles

# Box radii as fractions of the photo's longer side, tuned on composites with a known
# answer (`manage.py quality`). The paper's two passes (radii 90 and 6 px) gain
# from a third, narrower one that follows finer detail.
WIDE = 0.03
NARROW = (0.005, 0.002)
WORK_SIDE = 512  # the wide pass only yields smooth means, so it runs on a copy this size
TILE = 128  # the narrow passes run tile by tile, only where the edge is
DETAIL_RADIUS = 4  # the narrow passes run shrunk by a whole factor while their box stays this wide
_PARTIAL = (0.5 / 255 + 1e-7, 1 - 0.5 / 255 - 1e-7)  # alpha strictly between these is partial
_PRIOR = 1e-4  # weight of the previous guess, which wins where a window holds no subject


def estimate(rgb: np.ndarray, alpha: np.ndarray, *, shrunk: np.ndarray | None = None) -> np.ndarray:
    """Foreground colour (uint8 H×W×3) for the photo `rgb` and its alpha (float32 H×W, 0..1).

    Where alpha is 1 it returns the photo unchanged. Where alpha is 0 next to the
    edge it returns the nearby subject's colour: invisible in a composite, but
    viewers that scale an RGBA image without premultiplying blend it into the edge.
    `shrunk` is any copy of the photo at least WORK_SIDE long (refine.work_copy's):
    the wide pass starts from it instead of reading the whole photo again.
    """
    height, width = rgb.shape[:2]
    side = max(height, width)
    a = alpha.astype(np.float32, copy=False)
    scale = min(1.0, WORK_SIDE / side)
    work = (max(1, round(width * scale)), max(1, round(height * scale)))
    source = rgb if shrunk is None else shrunk
    small = cv2.resize(source, work, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    small_alpha = np.clip(cv2.resize(a, work, interpolation=cv2.INTER_AREA), 0.0, 1.0)
    wide = max(1, round(WIDE * side * scale))
    means = _means(small, small, small, small_alpha, wide)
    # The narrow passes' means are box averages many pixels wide, as smooth on a
    # copy shrunk by `factor` (a 12 MP photo: 2) as at full size, for a quarter
    # of the work; only the last step, which puts the photo's detail back, runs
    # at full size.
    factor = max(1, int(NARROW[-1] * side / DETAIL_RADIUS))
    radii = [max(1, round(r * side / factor)) for r in NARROW]
    margin = factor * sum(radii)
    # Only tiles that hold a partly transparent pixel need work; on a 12 MP
    # portrait that is a small share of the photo, hence most of the speed.
    out = rgb.copy()

    def estimate_tile(corner: tuple[int, int]) -> None:
        y0, x0 = corner
        y1, x1 = min(y0 + TILE, height), min(x0 + TILE, width)
        top, left = max(0, y0 - margin), max(0, x0 - margin)
        # Whole multiples of `factor`, so the shrunk crops share one grid.
        bottom = min(height, top + factor * _ceil_div(y1 + margin - top, factor))
        right = min(width, left + factor * _ceil_div(x1 + margin - left, factor))
        crop = (slice(top, bottom), slice(left, right))
        inner = (y0 - top, x0 - left, y1 - y0, x1 - x0)
        fg_mean, bg = _narrow(
            rgb[crop], a[crop], means, (top, left), (width, height), factor, radii, inner
        )
        tile = (slice(y0, y1), slice(x0, x1))
        out[tile] = _finish(rgb[tile], a[tile], fg_mean, bg)

    tiles.each(estimate_tile, _edge_tiles(a))
    return out


def _narrow(
    rgb: np.ndarray,
    alpha: np.ndarray,
    means: tuple[np.ndarray, np.ndarray],
    corner: tuple[int, int],
    full: tuple[int, int],
    factor: int,
    radii: list[int],
    inner: tuple[int, int, int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """The narrow passes on one crop at 1/`factor` of its size, from the wide pass's means.

    Returns the last means of subject and background over `inner` (top, left,
    height, width within the crop) at full size.
    """
    height, width = alpha.shape
    size = (_ceil_div(width, factor), _ceil_div(height, factor))
    if factor > 1:
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    image = rgb.astype(np.float32) * np.float32(1 / 255)
    alpha = np.clip(alpha, 0.0, 1.0)
    top, left = corner[0] // factor, corner[1] // factor
    shrunk = (_ceil_div(full[0], factor), _ceil_div(full[1], factor))
    fg_mean, bg = (tiles.crop_resize(m, (top, left, size[1], size[0]), shrunk) for m in means)
    for radius in radii:
        fg = _correct(image, alpha, fg_mean, bg)
        fg_mean, bg = _means(image, fg, bg, alpha, radius)
    if factor == 1:
        y, x, h, w = inner
        return fg_mean[y : y + h, x : x + w], bg[y : y + h, x : x + w]
    grown = (size[0] * factor, size[1] * factor)
    return tuple(tiles.crop_resize(m, inner, grown) for m in (fg_mean, bg))


def _finish(rgb: np.ndarray, alpha: np.ndarray, fg_mean: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """The last correction at full size, as 8-bit colour; the subject's own pixels exactly."""
    image = rgb.astype(np.float32) * np.float32(1 / 255)
    alpha = np.clip(alpha, 0.0, 1.0)
    fg = _correct(image, alpha, fg_mean, bg)
    out = (fg * 255 + 0.5).astype(np.uint8)
    solid = alpha >= 1
    out[solid] = rgb[solid]  # exactly, not give or take a rounding
    return out


def _ceil_div(length: int, factor: int) -> int:
    """How many pieces of `factor` cover `length` (a shrunk size, rounded up)."""
    return -(-length // factor)


def _edge_tiles(alpha: np.ndarray) -> list[tuple[int, int]]:
    """Top-left corners of the TILE×TILE tiles holding a pixel that is neither 0 nor 1."""
    height, width = alpha.shape
    found = []
    for top in range(0, height, TILE):
        for left in range(0, width, TILE):
            tile = alpha[top : top + TILE, left : left + TILE]
            low, high, _, _ = cv2.minMaxLoc(tile)
            # Most tiles are all subject or all background; only the rest are searched.
            if (
                high > _PARTIAL[0]
                and low < _PARTIAL[1]
                and cv2.countNonZero(cv2.inRange(tile, *_PARTIAL))
            ):
                found.append((top, left))
    return found


def _means(
    image: np.ndarray, fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray, radius: int
) -> tuple[np.ndarray, np.ndarray]:
    """Local mean colour of the subject (weighted by α) and of the background (by 1 − α).

    A window with none of one side keeps that side's previous guess instead of
    dividing nothing by nothing (which would paint the pixels beside the edge black).
    """
    size = (2 * radius + 1, 2 * radius + 1)

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, size, borderType=cv2.BORDER_REFLECT)

    a3 = cv2.cvtColor(alpha, cv2.COLOR_GRAY2RGB)
    mean_a = mean(a3)
    fg_mean = (mean(cv2.multiply(fg, a3)) + _PRIOR * fg) / (mean_a + _PRIOR)
    bg_mean = (mean(cv2.multiply(bg, 1.0 - a3)) + _PRIOR * bg) / (1.0 - mean_a + _PRIOR)
    return fg_mean, bg_mean


def _correct(
    image: np.ndarray, alpha: np.ndarray, fg_mean: np.ndarray, bg_mean: np.ndarray
) -> np.ndarray:
    """F = F̄ + α·(I − α·F̄ − (1 − α)·B̄): move the guess until the composite matches the photo."""
    a3 = cv2.cvtColor(alpha, cv2.COLOR_GRAY2RGB)
    residual = image - a3 * fg_mean - (1.0 - a3) * bg_mean
    return np.clip(fg_mean + a3 * residual, 0.0, 1.0)
