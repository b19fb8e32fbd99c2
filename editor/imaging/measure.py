"""Measurements the advisor reads off a photo and its mask, on small copies of both.

Everything works at a long side of WORK pixels, so the cost is the same for a
12-megapixel photo as for a thumbnail, and every pixel size below means the same
thing on every photo. Thresholds live in `advice.py`; this module only measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK = 512  # long side of the copies; U-2-Net itself only sees 320, so nothing is lost
# The subject core and the far background leave out a 15 px ring around the outline,
# where the mask blends both and any measure of texture would mix them.
RING = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))


@dataclass(frozen=True)
class View:
    rgb: np.ndarray  # h×w×3 uint8, long side WORK
    gray: np.ndarray  # h×w float32 0..1
    peak: np.ndarray  # h×w uint8: brightest full-res channel under each small pixel
    mask: np.ndarray  # h×w float32 0..1
    subject: np.ndarray  # h×w bool, mask > 0.5


def view(rgb: np.ndarray, mask: np.ndarray, edited: np.ndarray | None = None) -> View:
    """Small copies of the photo and mask; `peak` keeps point lights that averaging would dim.

    `mask` is the network's plain map. With `edited` (the visitor's fixed mask, of any size
    with the photo's shape), the subject is the edited one wherever the visitor changed it,
    and the plain map's half-sure ramps, which the thresholds were measured on, stay elsewhere.
    """
    h, w = rgb.shape[:2]
    scale = WORK / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = _shrink(rgb, size)
    peak = max_pool(brightest_channel(rgb), size)
    soft = _shrink(mask.astype(np.float32, copy=False), size)
    if edited is not None:
        fixed = _shrink(edited.astype(np.float32, copy=False), size)
        # Changed means decided the other way over more than an outline's few pixels.
        changed = ((fixed > 0.5) != (soft > 0.5)).astype(np.uint8)
        changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)).astype(bool)
        soft = np.where(changed, fixed, soft)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    return View(small, gray, peak, soft, soft > 0.5)


def _shrink(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    larger = a.shape[1] > size[0]
    return cv2.resize(a, size, interpolation=cv2.INTER_AREA if larger else cv2.INTER_LINEAR)


def max_pool(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The brightest pixel of each block, at `size` (width, height): a 3 px light stays white.

    Each axis has its own block length, so the work and memory grow with the pixel count
    whatever the shape: a square kernel the size of the long side's step (as cv2.dilate
    took) cost 14 GB on a 2,500,000 × 16 photo.
    """
    height, width = gray.shape
    by, bx = -(-height // size[1]), -(-width // size[0])  # ceiling: rows <= size, so the
    # resize below only ever repeats pooled pixels and never skips one
    rows, cols = -(-height // by), -(-width // bx)
    padded = np.zeros((rows * by, cols * bx), gray.dtype)  # zeros never win a max
    padded[:height, :width] = gray
    # One axis at a time, slice by slice: numpy's max over a short axis is 5 to 20 times
    # slower than np.maximum over whole slices.
    across = padded.reshape(rows * by, cols, bx)
    pooled = across[:, :, 0].copy()
    for i in range(1, bx):
        np.maximum(pooled, across[:, :, i], out=pooled)
    down = pooled.reshape(rows, by, cols)
    pooled = down[:, 0].copy()
    for i in range(1, by):
        np.maximum(pooled, down[:, i], out=pooled)
    return cv2.resize(pooled, size, interpolation=cv2.INTER_NEAREST)


def brightest_channel(rgb: np.ndarray) -> np.ndarray:
    """max(R, G, B) per pixel; rgb.max(axis=2) takes about ten times as long."""
    red, green, blue = cv2.split(rgb)
    return cv2.max(cv2.max(red, green), blue)


def coverage(v: View) -> float:
    """Share of the frame the subject covers."""
    return float(v.subject.mean())


def piece_sizes(v: View) -> list[float]:
    """Separate pieces of the subject, largest first, each as a share of the frame."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(v.subject.astype(np.uint8), 8)
    areas = stats[1:, cv2.CC_STAT_AREA] / v.subject.size
    return sorted((float(a) for a in areas), reverse=True)


def sides_cut(v: View, share: float = 0.15) -> int:
    """How many edges of the frame cut the subject along more than `share` of their length."""
    s = v.subject
    return sum(edge.mean() > share for edge in (s[0], s[-1], s[:, 0], s[:, -1]))


def _undecided_blobs(v: View) -> np.ndarray:
    # An 11 px opening keeps only wide undecided areas, not the few-pixel ramp every edge has.
    unsure = ((v.mask > 0.1) & (v.mask < 0.9)).astype(np.uint8)
    blob = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (11, 11))
    return cv2.morphologyEx(unsure, cv2.MORPH_OPEN, blob).astype(bool)


def undecided_joined(v: View) -> float:
    """Wide half-sure areas that touch the subject, relative to the subject's own area."""
    blobs = _undecided_blobs(v)
    count, labels = cv2.connectedComponents(blobs.astype(np.uint8), connectivity=8)
    near = cv2.dilate(v.subject.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    joined = np.isin(labels, np.unique(labels[near & blobs]))
    return float((joined & blobs).sum() / max(int(v.subject.sum()), 1))


def edge_band(v: View) -> float:
    """Average width, in pixels, of the half-sure band along the outline (wide blobs left out)."""
    band = (v.mask > 0.2) & (v.mask < 0.8) & ~_undecided_blobs(v)
    inner = cv2.erode(v.subject.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    outline = int((v.subject & ~inner).sum())
    return float(band.sum() / max(outline, 1))


def _regions(v: View) -> tuple[np.ndarray, np.ndarray]:
    core = cv2.erode(v.subject.astype(np.uint8), RING).astype(bool)
    far = ~cv2.dilate((v.mask > 0.2).astype(np.uint8), RING).astype(bool)
    return core, far


def _detail(v: View) -> tuple[np.ndarray, np.ndarray]:
    """Finest detail (photo minus a 1 px blur) and coarser structure (1 px to 9 px blur)."""
    g1 = cv2.GaussianBlur(v.gray, (0, 0), 1)
    g3 = cv2.GaussianBlur(v.gray, (0, 0), 3)
    g9 = cv2.GaussianBlur(v.gray, (0, 0), 9)
    return np.abs(v.gray - g1), np.abs(g1 - g3) + np.abs(g3 - g9)


TILE = 32  # px at WORK: a patch small enough to hold one depth, large enough for an edge


def _gradient(gray: np.ndarray, sigma: float) -> np.ndarray:
    smooth = cv2.GaussianBlur(gray, (0, 0), sigma)
    return np.hypot(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))


def _tile_max(values: np.ndarray, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per TILE×TILE tile: the largest value inside `region`, and the share of it in the region."""
    h, w = (values.shape[0] // TILE) * TILE, (values.shape[1] // TILE) * TILE
    inside = region[:h, :w].reshape(h // TILE, TILE, w // TILE, TILE)
    kept = np.where(inside, values[:h, :w].reshape(inside.shape), 0)
    return kept.max(axis=(1, 3)), inside.mean(axis=(1, 3))


def blur_radius(v: View) -> tuple[float | None, float | None]:
    """How blurred the subject and the background are: the median edge's blur, in px at WORK.

    Per tile, the steepest edge seen through a 1 px and a 3 px Gaussian: a step blurred by
    s px has slopes in the ratio sqrt(s² + 9) / sqrt(s² + 1), which gives s. A tile whose
    edges barely rise above a 3% step has no shape to judge; one that reads over 8 px is a
    smooth gradient (a sky, a backdrop), not a blurred shape. None: fewer than 4 tiles left.
    """
    fine, coarse = _gradient(v.gray, 1.0), _gradient(v.gray, 3.0)
    out: list[float | None] = []
    for region in _regions(v):
        steep, share = _tile_max(fine, region)
        broad, _ = _tile_max(coarse, region)
        judged = (share >= 0.5) & (broad >= 0.03)
        ratio = np.minimum(steep[judged] / broad[judged], 3 - 1e-3)  # a perfect step reads 3
        radius = np.sqrt(np.maximum(9 - ratio**2, 0) / np.maximum(ratio**2 - 1, 1e-3))
        radius = radius[radius <= 8]
        out.append(float(np.median(radius)) if len(radius) >= 4 else None)
    return out[0], out[1]


def sharpest_detail(v: View) -> tuple[float | None, float | None]:
    """The 99th percentile of fine detail in the subject and in the background."""
    fine, _ = _detail(v)
    out: list[float | None] = []
    for region in _regions(v):
        out.append(float(np.percentile(fine[region], 99)) if region.sum() >= 300 else None)
    return out[0], out[1]


def point_lights(v: View) -> int:
    """Small, bright, round spots on a dark surround, away from the subject.

    Bright means the brightest channel (a green fairy light is as much a light as a white
    one) at 200 or more and 100 levels above what a 9 px opening leaves; a dark surround
    (<= 60 on average) tells a lamp from a white shirt in a daylight crowd. A spot over 20 px
    at WORK is a lit window or a patch of sun, and one that fills less than 40% of its box,
    or is 3 times longer than wide, is a glint along a leaf or a line, not a light.
    """
    surround = cv2.GaussianBlur(v.peak.astype(np.float32), (0, 0), 8)
    opened = cv2.morphologyEx(v.peak, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    lit = (v.peak >= 200) & (v.peak.astype(np.int16) - opened >= 100) & (surround <= 60)
    lit &= ~cv2.dilate((v.mask > 0.2).astype(np.uint8), RING).astype(bool)
    _, _, stats, _ = cv2.connectedComponentsWithStats(lit.astype(np.uint8), 8)
    area = stats[1:, cv2.CC_STAT_AREA]
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    round_ = (area >= 0.4 * w * h) & (np.maximum(w, h) <= 3 * np.minimum(w, h))
    return int(((area <= 20) & round_).sum())


def background_level(v: View) -> float:
    """The far background's median brightness (brightest channel, 0..1): low at night."""
    _, far = _regions(v)
    return float(np.median(brightest_channel(v.rgb)[far]) / 255) if far.any() else 1.0


def colour_overlap(v: View) -> float:
    """How much the colours just inside the outline match those just outside (0..1)."""
    subject = v.subject.astype(np.uint8)
    band = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (25, 25))
    reach = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (61, 61))
    inside = v.subject & ~cv2.erode(subject, band).astype(bool)
    outside = ~cv2.dilate(subject, band).astype(bool) & cv2.dilate(subject, reach).astype(bool)
    lab = cv2.cvtColor(v.rgb, cv2.COLOR_RGB2LAB)
    hists = []
    for region in (inside, outside):
        hist = cv2.calcHist([lab], [0, 1, 2], region.astype(np.uint8), [8] * 3, [0, 256] * 3)
        hists.append(hist / max(float(hist.sum()), 1.0))
    return float(np.minimum(*hists).sum())
