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
    peak: np.ndarray  # h×w uint8: brightest full-res pixel under each small pixel
    mask: np.ndarray  # h×w float32 0..1
    subject: np.ndarray  # h×w bool, mask > 0.5


def view(rgb: np.ndarray, mask: np.ndarray) -> View:
    """Small copies of the photo and mask; `peak` keeps point lights that averaging would dim."""
    h, w = mask.shape
    scale = WORK / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(rgb, size, interpolation=shrink)
    full_gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    step = int(np.ceil(1 / scale))
    if step > 1:  # max-pool: a 3-pixel light must stay white at 1/8 scale
        full_gray = cv2.dilate(full_gray, np.ones((step, step), np.uint8))
    peak = cv2.resize(full_gray, size, interpolation=cv2.INTER_NEAREST)
    soft = cv2.resize(mask.astype(np.float32), size, interpolation=shrink)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    return View(small, gray, peak, soft, soft > 0.5)


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


def crispness(v: View) -> tuple[float | None, float | None]:
    """Fine detail per unit of coarse structure, for the subject and for the background.

    Where a region has shapes (coarse structure) but none of the finest detail, it is out
    of focus; a plain sky or wall has neither and gives None instead of a guess.
    """
    fine, coarse = _detail(v)
    out: list[float | None] = []
    for region in _regions(v):
        shaped = region & (coarse > 0.02)
        enough = shaped.sum() >= max(300, 0.1 * region.sum())
        out.append(float(fine[shaped].sum() / coarse[shaped].sum()) if enough else None)
    return out[0], out[1]


def sharpest_detail(v: View) -> tuple[float | None, float | None]:
    """The 99th percentile of fine detail in the subject and in the background."""
    fine, _ = _detail(v)
    out: list[float | None] = []
    for region in _regions(v):
        out.append(float(np.percentile(fine[region], 99)) if region.sum() >= 300 else None)
    return out[0], out[1]


def point_lights(v: View) -> int:
    """Small near-white spots on a dark surround, away from the subject."""
    # Near-white (250+), 100 levels above what a 9 px opening leaves, in a dark (<= 60)
    # neighbourhood: white shirts in a daylight crowd have a brighter surround.
    surround = cv2.GaussianBlur(v.gray, (0, 0), 8) * 255
    opened = cv2.morphologyEx(v.peak, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    lit = (v.peak >= 250) & (v.peak.astype(np.int16) - opened >= 100) & (surround <= 60)
    lit &= ~cv2.dilate((v.mask > 0.2).astype(np.uint8), RING).astype(bool)
    count, _, stats, _ = cv2.connectedComponentsWithStats(lit.astype(np.uint8), 8)
    return int((stats[1:, cv2.CC_STAT_AREA] <= 20).sum())


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
