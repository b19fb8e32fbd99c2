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

from . import edits, refine, tiles
from .edits import Stroke

SNAP_RADIUS = 2.0  # guided filter window for outlines the edits drew, in work pixels
CARRY_TILE = 256  # full-size tiles a wide stroke is carried to, skipped or filled when they can be


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
        shrunk = _Shrunk(pixels)
        for stroke in self.strokes:
            _paint_stroke(out, shrunk, stroke, scale)
        return out


class _Shrunk:
    """The photo at 1/step of its size, made once for every wide stroke of that step."""

    def __init__(self, pixels: np.ndarray):
        self.pixels = pixels
        self._copies: dict[int, np.ndarray] = {1: pixels}

    def at(self, step: int) -> np.ndarray:
        if step not in self._copies:
            height, width = self.pixels.shape[:2]
            size = (-(-width // step), -(-height // step))
            self._copies[step] = _reduced(self.pixels, size, step)
        return self._copies[step]


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


def _paint_stroke(out: np.ndarray, shrunk: _Shrunk, stroke: Stroke, scale: float) -> None:
    """Obey the stroke inside; snap a ring at its edge to the photo.

    The work follows the stroke's length, not its bounding box: it is painted
    in pieces (edits.Brush says how long). A wide brush's ring is worked
    out at a reduced scale (`step` photo pixels a working pixel, so the ring
    stays about FINE_RING pixels wide there) and only the core's fill and the
    ring's change are carried to full size. Up to FINE_RING (radius 66) the step
    is 1: the ring is snapped at full size, as it always was.
    """
    brush = edits.Brush.of(stroke.radius * scale)
    value = 1.0 if stroke.mode == "keep" else 0.0
    points = [(round(x * scale), round(y * scale)) for x, y in stroke.points]
    for piece in edits.pieces(points, brush.span):
        _paint_piece(out, shrunk, piece, brush, value)


def _paint_piece(
    out: np.ndarray,
    shrunk: _Shrunk,
    points: list[tuple[int, int]],
    brush: edits.Brush,
    value: float,
) -> None:
    height, width = out.shape
    radius, ring, step, reach = brush.radius, brush.ring, brush.step, brush.reach
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    # Starting on a multiple of `step`, so the reduced photo's pixels line up.
    x0, x1 = max(0, min(xs) - reach) // step * step, min(width, max(xs) + reach + 1)
    y0, y1 = max(0, min(ys) - reach) // step * step, min(height, max(ys) + reach + 1)
    if x0 >= x1 or y0 >= y1:
        return
    region = out[y0:y1, x0:x1]
    photo = shrunk.at(step)[y0 // step : -(-y1 // step), x0 // step : -(-x1 // step)]
    if step > 1:
        before = _reduced(region, (photo.shape[1], photo.shape[0]), step)
        radius, ring = radius / step, max(1, round(ring / step))
    else:
        before = region
    local = [(round((x - x0) / step), round((y - y0) / step)) for x, y in points]
    area = np.zeros(before.shape, np.uint8)
    thickness = max(1, round(2 * radius))
    for a, b in zip(local, local[1:], strict=False):
        cv2.line(area, a, b, 1, thickness)
    for p in local:
        cv2.circle(area, p, round(radius), 1, -1)
    core = cv2.erode(area, disc(ring))
    edge = cv2.dilate(area, disc(ring))
    painted = before.copy()
    painted[area.astype(bool)] = value
    snapped = refine.refine(photo, painted, radius=SNAP_RADIUS)
    if step == 1:
        pick = np.maximum if value else np.minimum
        core, edge = core.astype(bool), edge.astype(bool) & ~core.astype(bool)
        region[edge] = pick(region[edge], snapped[edge])
        region[core] = value
    else:
        _carry(region, core, edge, snapped - before, value, step)


def _reduced(region: np.ndarray, size: tuple[int, int], step: int) -> np.ndarray:
    """`region` (the photo, or the mask under a wide stroke) at 1/step scale, averaging
    only every (step/4)th row and column: averaging all of 12 MP cost more than the stroke."""
    skip = max(1, step // 4)
    return cv2.resize(region[::skip, ::skip], size, interpolation=cv2.INTER_AREA)


def _carry(
    region: np.ndarray,
    core: np.ndarray,
    edge: np.ndarray,
    change: np.ndarray,
    value: float,
    step: int,
) -> None:
    """Carry a wide stroke worked out at 1/step scale to the full-size `region`.

    Tile by tile: tiles the stroke does not reach are skipped and tiles deep in
    its core are filled, so only the ring costs full-size arithmetic. The ring
    takes the change the snap made (not its reduced-scale values), so the old
    mask's fine detail survives under it.
    """
    height, width = region.shape
    full = (width, height)
    core, edge = core * np.uint8(255), edge * np.uint8(255)
    pick = np.maximum if value else np.minimum

    def fill(corner: tuple[int, int]) -> None:
        top, left = corner
        bottom, right = min(top + CARRY_TILE, height), min(left + CARRY_TILE, width)
        near = (
            slice(max(0, top // step - 1), -(-bottom // step) + 1),
            slice(max(0, left // step - 1), -(-right // step) + 1),
        )
        tile = region[top:bottom, left:right]
        if not edge[near].any():
            return
        if core[near].all():
            tile[:] = value
            return
        box = (top, left, bottom - top, right - left)
        inside = tiles.crop_resize(core, box, full) > 127
        ringed = (tiles.crop_resize(edge, box, full) > 127) & ~inside
        moved = np.clip(pick(tile, tile + tiles.crop_resize(change, box, full)), 0.0, 1.0)
        tile[ringed] = moved[ringed]
        tile[inside] = value

    tiles.each(fill, tiles.corners(height, width, CARRY_TILE))
