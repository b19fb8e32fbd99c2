"""The visitor's fixes to a mask, as values: keep-taps, remove-taps and brush strokes.

Pure data with its checks and limits (no OpenCV, no ONNX Runtime), so the web
can read and validate edits; `taps.py` and `painting.py` apply them to a mask. Each request
adds one `Batch`; a job's `Edits` are all its batches, oldest first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ImageError

MODES = ("keep", "remove")
# Limits of what one request may add, and of what a job may hold.
MAX_TAPS = 50
MAX_STROKES = 50
MAX_POINTS = 5000  # points over all strokes of one request
MAX_BATCHES = 200
MAX_RADIUS = 1000

Point = tuple[float, float]


class EditError(ImageError):
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
        """JSON-able; {} when there are no edits, so a job without them reads the same."""
        return {"batches": [b.to_dict() for b in self.batches]} if self.batches else {}

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
