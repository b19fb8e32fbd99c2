"""Painting the visitor's fixes onto a mask of any size: the taps' decision and brush strokes.

Taps are decided once on a work-size copy (taps.py); their outline is carried
to the mask being painted and snapped to the photo's edges there. Strokes are
paint: inside a stroke the visitor's choice is the answer; only a thin ring at
its edge is snapped to the photo's own edges with the guided filter. So a
preview and the full-size file agree, and the network never runs twice for a tap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import refine
from .edits import Stroke

SNAP_RADIUS = 2.0  # guided filter window for outlines the edits drew, in work pixels


@dataclass
class Plan:
    """What the taps decided, at work size; painted onto a mask of any size."""

    size: tuple[int, int]  # the photo's width, height
    target: np.ndarray  # work-size float32 mask after the taps
    changed: np.ndarray  # work-size bool: where the taps changed it
    strokes: list[Stroke] = field(default_factory=list)
    # Whether snapping the taps' outline may flip a pixel they did not change: not when
    # set, so a keep-tap only adds and a remove-tap only removes at any size too.
    hold: bool = False

    def paint(self, pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """`mask` (H×W float32 of the photo `pixels`, any scale of it) with the edits applied."""
        out = mask.astype(np.float32, copy=True)
        if self.changed.any():
            _paint_taps(out, pixels, self.target, self.changed)
            if self.hold:
                _hold_unchanged(out, mask, self.changed)
        scale = mask.shape[1] / self.size[0]
        for stroke in self.strokes:
            _paint_stroke(out, pixels, stroke, scale)
        return out


def disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def bbox(region: np.ndarray, margin: int) -> tuple[slice, slice] | None:
    ys, xs = np.nonzero(region)
    if len(ys) == 0:
        return None
    h, w = region.shape
    return (
        slice(max(0, ys.min() - margin), min(h, ys.max() + 1 + margin)),
        slice(max(0, xs.min() - margin), min(w, xs.max() + 1 + margin)),
    )


def _paint_taps(out: np.ndarray, pixels: np.ndarray, target: np.ndarray, changed) -> None:
    """Carry the work-size decision into `out`, its outline snapped at `out`'s own size."""
    band = cv2.dilate(changed.astype(np.uint8), disc(3))
    found = bbox(band, 8)
    if found is None:
        return
    ys, xs = found
    height, width = out.shape
    fy, fx = height / target.shape[0], width / target.shape[1]
    full_y = slice(int(ys.start * fy), min(height, math.ceil(ys.stop * fy)))
    full_x = slice(int(xs.start * fx), min(width, math.ceil(xs.stop * fx)))
    size = (full_x.stop - full_x.start, full_y.stop - full_y.start)
    snapped = refine.refine(pixels[full_y, full_x], target[ys, xs], radius=SNAP_RADIUS)
    weight = cv2.GaussianBlur(band[ys, xs].astype(np.float32), (0, 0), 1.5)
    weight = cv2.resize(weight, size, interpolation=cv2.INTER_LINEAR)
    region = out[full_y, full_x]
    region += weight * (snapped - region)


def _hold_unchanged(out: np.ndarray, mask: np.ndarray, changed: np.ndarray) -> None:
    """Give back its side to each pixel of `out` that the work-size decision left alone."""
    size = (out.shape[1], out.shape[0])
    moved = cv2.resize(changed.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    np.copyto(out, np.maximum(out, mask), where=~moved & (mask > 0.5) & (out <= 0.5))
    np.copyto(out, np.minimum(out, mask), where=~moved & (mask <= 0.5) & (out > 0.5))


def _paint_stroke(out: np.ndarray, pixels: np.ndarray, stroke: Stroke, scale: float) -> None:
    """Obey the stroke inside; snap a ring at its edge to the photo."""
    radius = max(0.5, stroke.radius * scale)
    points = [(round(x * scale), round(y * scale)) for x, y in stroke.points]
    ring = max(1, round(0.25 * radius))
    height, width = out.shape
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    reach = math.ceil(radius) + 2 * ring + 2
    x0, x1 = max(0, min(xs) - reach), min(width, max(xs) + reach + 1)
    y0, y1 = max(0, min(ys) - reach), min(height, max(ys) + reach + 1)
    if x0 >= x1 or y0 >= y1:
        return
    area = np.zeros((y1 - y0, x1 - x0), np.uint8)
    local = [(x - x0, y - y0) for x, y in points]
    thickness = max(1, round(2 * radius))
    for a, b in zip(local, local[1:], strict=False):
        cv2.line(area, a, b, 1, thickness)
    for p in local:
        cv2.circle(area, p, round(radius), 1, -1)
    value = 1.0 if stroke.mode == "keep" else 0.0
    core = cv2.erode(area, disc(ring)).astype(bool)
    edge = cv2.dilate(area, disc(ring)).astype(bool) & ~core
    region = out[y0:y1, x0:x1]
    painted = region.copy()
    painted[area.astype(bool)] = value
    snapped = refine.refine(pixels[y0:y1, x0:x1], painted, radius=SNAP_RADIUS)
    pick = np.maximum if value else np.minimum
    region[edge] = pick(region[edge], snapped[edge])
    region[core] = value
