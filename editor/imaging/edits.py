"""The visitor's fixes to a mask: smart taps and brush strokes.

A keep-tap brings in the whole object under it and a remove-tap takes a whole
wrongly kept thing out. U-2-Net is run again on a square crop around the tap:
zoomed in, the tapped object is usually the salient one, and the piece of that
crop's mask under the tap is the object. A remove-tap on a separate piece of
the mask takes the piece out without the network.

Strokes are paint: inside a stroke the visitor's choice is the answer; only a
thin ring at its edge is snapped to the photo's own edges with the guided filter.

Decisions are made on a copy at most WORK_SIDE pixels long (`plan`), then
painted at any size (`Plan.paint`), so a preview and the full-size file agree
and the network never runs twice for one tap.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import refine, segment

MODES = ("keep", "remove")
WORK_SIDE = 1024
# Crop sides as shares of the photo's longer side, tried widest first: a wide crop
# holds a whole large object, a narrow one makes a small one salient.
CROPS = (0.5, 0.25)
MIN_CROP = 96  # pixels of the photo: the network needs some context around a tap
SNAP_RADIUS = 2.0  # guided filter window for outlines the edits drew, in work pixels
# Limits of what one request may add, and of what a job may hold.
MAX_TAPS = 50
MAX_STROKES = 50
MAX_POINTS = 5000  # points over all strokes of one request
MAX_BATCHES = 200
MAX_RADIUS = 1000

Point = tuple[float, float]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in photo pixels


class EditError(ValueError):
    """Edits we cannot apply; the message is written for whoever sent them."""


@dataclass(frozen=True)
class Stroke:
    mode: str  # keep | remove
    radius: float  # photo pixels
    points: tuple[Point, ...]

    def to_dict(self) -> dict:
        return {"mode": self.mode, "radius": self.radius, "points": [list(p) for p in self.points]}


@dataclass(frozen=True)
class Batch:
    """One request's edits, applied keep-taps, remove-taps, then strokes."""

    keep: tuple[Point, ...] = ()
    remove: tuple[Point, ...] = ()
    strokes: tuple[Stroke, ...] = ()

    @classmethod
    def from_dict(cls, data: object) -> Batch:
        """Read `{"keep": [[x, y]], "remove": [...], "strokes": [...]}`; EditError if malformed."""
        if not isinstance(data, dict):
            raise EditError("The edits must be a JSON object.")
        unknown = set(data) - {"keep", "remove", "strokes"}
        if unknown:
            raise EditError(f"Unknown field {sorted(unknown)[0]!r} in the edits.")
        keep = _points(data.get("keep", []), "keep", MAX_TAPS)
        remove = _points(data.get("remove", []), "remove", MAX_TAPS)
        strokes = data.get("strokes", [])
        if not isinstance(strokes, list):
            raise EditError("strokes must be a list.")
        if len(strokes) > MAX_STROKES:
            raise EditError(f"At most {MAX_STROKES} strokes at a time.")
        read = tuple(_stroke(s, i) for i, s in enumerate(strokes))
        if sum(len(s.points) for s in read) > MAX_POINTS:
            raise EditError(f"At most {MAX_POINTS} stroke points at a time.")
        return cls(keep, remove, read)

    def to_dict(self) -> dict:
        return {
            "keep": [list(p) for p in self.keep],
            "remove": [list(p) for p in self.remove],
            "strokes": [s.to_dict() for s in self.strokes],
        }

    def __bool__(self) -> bool:
        return bool(self.keep or self.remove or self.strokes)

    def check(self, width: int, height: int) -> Batch:
        """EditError when a point lies outside a width×height photo."""
        points = [*self.keep, *self.remove, *(p for s in self.strokes for p in s.points)]
        for x, y in points:
            if not (0 <= x < width and 0 <= y < height):
                raise EditError(
                    f"The point ({x:g}, {y:g}) is outside the photo, "
                    f"which is {width}×{height} pixels."
                )
        return self


@dataclass(frozen=True)
class Edits:
    """Every batch a job has received, oldest first."""

    batches: tuple[Batch, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> Edits:
        return cls(tuple(Batch.from_dict(b) for b in data.get("batches", [])))

    def to_dict(self) -> dict:
        return {"batches": [b.to_dict() for b in self.batches]}

    def then(self, batch: Batch) -> Edits:
        if len(self.batches) >= MAX_BATCHES:
            raise EditError(f"A photo can hold at most {MAX_BATCHES} edits; reset to start again.")
        return Edits((*self.batches, batch)) if batch else self

    def undone(self) -> Edits:
        return Edits(self.batches[:-1])

    @property
    def taps(self) -> list[tuple[str, Point]]:
        return [
            (mode, p)
            for b in self.batches
            for mode, points in (("keep", b.keep), ("remove", b.remove))
            for p in points
        ]

    @property
    def strokes(self) -> list[Stroke]:
        return [s for b in self.batches for s in b.strokes]

    def __bool__(self) -> bool:
        return any(self.batches)


@dataclass
class Plan:
    """What the taps decided, at work size; painted onto a mask of any size."""

    size: tuple[int, int]  # the photo's width, height
    target: np.ndarray  # work-size float32 mask after the taps
    changed: np.ndarray  # work-size bool: where the taps changed it
    strokes: list[Stroke] = field(default_factory=list)

    def paint(self, pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """`mask` (H×W float32 of the photo `pixels`, any scale of it) with the edits applied."""
        out = mask.astype(np.float32, copy=True)
        if self.changed.any():
            _paint_taps(out, pixels, self.target, self.changed)
        scale = mask.shape[1] / self.size[0]
        for stroke in self.strokes:
            _paint_stroke(out, pixels, stroke, scale)
        return out


def apply(
    pixels: np.ndarray,
    mask: np.ndarray,
    edits: Edits,
    *,
    session=None,
    cache: MutableMapping[Box, np.ndarray] | None = None,
) -> np.ndarray:
    """The full-size mask with `edits` applied. `session` is U-2-Net's (taps need it)."""
    return plan(pixels, mask, edits, session=session, cache=cache).paint(pixels, mask)


def plan(
    pixels: np.ndarray,
    mask: np.ndarray,
    edits: Edits,
    *,
    session=None,
    cache: MutableMapping[Box, np.ndarray] | None = None,
) -> Plan:
    """Decide what each tap brings in or takes out, on a work-size copy.

    `cache` maps a crop box to the network's map of it; pass the same mapping
    again (or one kept on disk) and re-applying earlier taps costs no network run.
    """
    height, width = mask.shape
    scale = min(1.0, WORK_SIDE / max(height, width))
    work = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(pixels, work, interpolation=cv2.INTER_AREA) if scale < 1 else pixels
    target = cv2.resize(mask, work, interpolation=cv2.INTER_AREA) if scale < 1 else mask.copy()
    before = target > 0.5
    tapper = _Tapper(pixels, small, scale, session, {} if cache is None else cache)
    kept: list[tuple[int, int]] = []
    for mode, (x, y) in edits.taps:
        q = (min(work[0] - 1, int(x * scale)), min(work[1] - 1, int(y * scale)))
        if mode == "keep":
            target = tapper.keep(target, q)
            kept.append(q)
        else:
            target = tapper.remove(target, q, kept)
    changed = (target > 0.5) != before
    return Plan((width, height), target, changed, edits.strokes)


class _Tapper:
    """The smart part of a tap, on the work-size copy `small` of the photo `pixels`."""

    def __init__(self, pixels, small, scale, session, cache):
        self.pixels, self.small, self.scale = pixels, small, scale
        self.session, self.cache = session, cache

    def keep(self, target: np.ndarray, q: tuple[int, int]) -> np.ndarray:
        for (x0, y0, x1, y1), obj in self._objects(q):
            region = _piece(obj > 0.5, (q[0] - x0, q[1] - y0))
            if region is not None:
                part = target[y0:y1, x0:x1]
                grown = cv2.dilate(region.astype(np.uint8), _disc(2)).astype(bool)
                part[grown] = np.maximum(part[grown], obj[grown])
                return target
        return _fill_disc(target, q, 1.0)

    def remove(
        self, target: np.ndarray, q: tuple[int, int], kept: list[tuple[int, int]]
    ) -> np.ndarray:
        hard = target > 0.5
        count, labels = cv2.connectedComponents(hard.astype(np.uint8), connectivity=8)
        label = labels[q[1], q[0]]
        if label == 0:
            return target  # nothing is kept here
        piece = labels == label
        sizes = np.bincount(labels.ravel(), minlength=count)[1:]
        if sizes[label - 1] < sizes.max():
            return _cut(target, piece)  # a separate, smaller piece: all of it goes
        for (x0, y0, x1, y1), obj in self._objects(q):
            inside = piece[y0:y1, x0:x1]
            local = (q[0] - x0, q[1] - y0)
            salient = obj > 0.5
            tapped_salient = bool(salient[local[1], local[0]])
            region = _piece(inside & (salient if tapped_salient else ~salient), local)
            if region is None:
                continue
            if tapped_salient and region.sum() >= 0.7 * inside.sum():
                return _cut(target, piece)  # the tapped object is this whole piece
            cut = np.zeros_like(hard)
            cut[y0:y1, x0:x1] = region
            return _cut(target, cut)
        return _fill_disc(target, q, 0.0)

    def _objects(self, q: tuple[int, int]):
        """(box in work pixels, the crop's refined network mask) for each crop size."""
        if self.session is None:
            return
        height, width = self.pixels.shape[:2]
        small_h, small_w = self.small.shape[:2]
        for share in CROPS:
            side = min(max(MIN_CROP, round(share * max(height, width))), width, height)
            cx, cy = (q[0] + 0.5) / self.scale, (q[1] + 0.5) / self.scale
            x0 = int(min(max(0, cx - side / 2), width - side))
            y0 = int(min(max(0, cy - side / 2), height - side))
            box = (x0, y0, x0 + side, y0 + side)
            if box not in self.cache:
                crop = self.pixels[y0 : y0 + side, x0 : x0 + side]
                self.cache[box] = segment.saliency(crop, self.session)
            wx0, wy0 = min(round(x0 * self.scale), q[0]), min(round(y0 * self.scale), q[1])
            wx1 = max(min(small_w, round((x0 + side) * self.scale)), q[0] + 1)
            wy1 = max(min(small_h, round((y0 + side) * self.scale)), q[1] + 1)
            obj = refine.refine(self.small[wy0:wy1, wx0:wx1], self.cache[box])
            yield (wx0, wy0, wx1, wy1), obj


def _piece(region: np.ndarray, q: tuple[int, int]) -> np.ndarray | None:
    """The connected part of `region` that holds the point q, or None if q is not in it."""
    if not region[q[1], q[0]]:
        return None
    _, labels = cv2.connectedComponents(region.astype(np.uint8), connectivity=8)
    return labels == labels[q[1], q[0]]


def _cut(target: np.ndarray, region: np.ndarray) -> np.ndarray:
    grown = cv2.dilate(region.astype(np.uint8), _disc(1)).astype(bool)
    target[grown] = 0.0
    return target


def _fill_disc(target: np.ndarray, q: tuple[int, int], value: float) -> np.ndarray:
    """Without the network a tap can only be a dot of paint, a hundredth of the photo wide."""
    cv2.circle(target, q, max(3, round(0.01 * max(target.shape))), float(value), -1)
    return target


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _bbox(region: np.ndarray, margin: int) -> tuple[slice, slice] | None:
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
    band = cv2.dilate(changed.astype(np.uint8), _disc(3))
    found = _bbox(band, 8)
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
    core = cv2.erode(area, _disc(ring)).astype(bool)
    edge = cv2.dilate(area, _disc(ring)).astype(bool) & ~core
    region = out[y0:y1, x0:x1]
    painted = region.copy()
    painted[area.astype(bool)] = value
    snapped = refine.refine(pixels[y0:y1, x0:x1], painted, radius=SNAP_RADIUS)
    pick = np.maximum if value else np.minimum
    region[edge] = pick(region[edge], snapped[edge])
    region[core] = value


def _points(value: object, name: str, limit: int) -> tuple[Point, ...]:
    if not isinstance(value, list):
        raise EditError(f"{name} must be a list of [x, y] points.")
    if len(value) > limit:
        raise EditError(f"At most {limit} {name} taps at a time.")
    return tuple(_point(p, name) for p in value)


def _point(value: object, name: str) -> Point:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not all(math.isfinite(v) for v in value)
    ):
        raise EditError(f"Each point in {name} must be [x, y], two numbers in photo pixels.")
    return (float(value[0]), float(value[1]))


def _stroke(value: object, index: int) -> Stroke:
    if not isinstance(value, dict) or set(value) - {"mode", "radius", "points"}:
        raise EditError(f"Stroke {index + 1} must be an object with mode, radius and points.")
    mode, radius = value.get("mode"), value.get("radius")
    if mode not in MODES:
        raise EditError(f"Stroke {index + 1}: mode must be keep or remove.")
    if not isinstance(radius, int | float) or isinstance(radius, bool):
        raise EditError(f"Stroke {index + 1}: radius must be a number of photo pixels.")
    if not 1 <= radius <= MAX_RADIUS:
        raise EditError(f"Stroke {index + 1}: radius must be between 1 and {MAX_RADIUS} pixels.")
    points = _points(value.get("points"), f"stroke {index + 1}'s points", MAX_POINTS)
    if not points:
        raise EditError(f"Stroke {index + 1} has no points.")
    return Stroke(mode, float(radius), points)
