"""The visitor's fixes to a mask, as values: keep-taps, remove-taps and brush strokes.

Pure data with its checks and limits (no OpenCV, no ONNX Runtime), so the web
can read and validate edits; `taps.py` and `painting.py` apply them to a mask. Each request
adds one `Batch`; a job's `Edits` are all its batches, oldest first.

Every render paints all of a job's edits again, so what they cost is told
before they are accepted (`Cost`): `Batch.check` refuses a request over
REQUEST_SECONDS and `check_budget` one that would take a job past JOB_SECONDS,
each saying what to reduce.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .errors import ImageError

MODES = ("keep", "remove")
# Limits of what one request may add, and of what a job may hold.
MAX_TAPS = 50
MAX_STROKES = 50
MAX_POINTS = 5000  # points over all strokes of one request
MAX_BATCHES = 200
MAX_RADIUS = 1000
# How painting.py works a stroke, here so the cost of edits can be told before
# they are accepted: a ring up to FINE_RING pixels wide is snapped at full size,
# a wider one at a reduced scale; a stroke is painted in pieces at most PIECE
# working pixels long, and a thin one in pieces about 8 of its reaches long (at
# least MIN_PIECE), so that its pieces' boxes are not mostly empty.
FINE_RING = 16
PIECE = 256
MIN_PIECE = 64
# What edits cost a render, in seconds of the machine the red team timed: there
# 50 + 50 taps took 60 s, and the old painter's radius-1000 stroke on 12 MP 47.9 s,
# 2.5 times faster than one core of ours, where the rates of strokes were measured
# (on a loaded machine: they err on the dear side). A tap runs the network on its
# crops, and the outline of what taps changed is snapped once. A stroke's piece
# costs by its megapixels: some work per full-size pixel, and the rest per pixel
# of the 1/step scale it is worked at (ours: 0.0115 + 0.375 / step² s a megapixel,
# from 0.39 s at step 1 to 0.013 s at step 16).
TAP_SECONDS = 0.6
SNAP_SECONDS = 0.02  # a megapixel of the taps' outline
PIECE_SECONDS = (0.006, 0.16)  # a megapixel of pieces: at full size, and at 1/step scale × step²
# One request's edits render within a few seconds; all of a job's edits, which
# every later render paints again, within a quarter of the worker's 60 s limit.
REQUEST_SECONDS = 4.0
JOB_SECONDS = 15.0
PREVIEW_SIDE = 1600  # a render paints the edits twice: on the preview this long, and at full size
_MOST_DENSE = 200_000  # points a request's strokes may be cut into before costing is pointless

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
        keep = _points(data.get("keep", []), "keep", MAX_TAPS, "keep taps")
        remove = _points(data.get("remove", []), "remove", MAX_TAPS, "remove taps")
        strokes = data.get("strokes", [])
        if not isinstance(strokes, list):
            raise EditError("strokes must be a list.")
        if len(strokes) > MAX_STROKES:
            raise EditError(f"At most {MAX_STROKES} strokes can be sent at a time.")
        read = tuple(_stroke(s, i) for i, s in enumerate(strokes))
        if sum(len(s.points) for s in read) > MAX_POINTS:
            raise EditError(_TOO_MANY_POINTS)
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
        cost = self.cost(width, height, REQUEST_SECONDS)
        if cost.seconds > REQUEST_SECONDS:
            raise EditError(cost.advice(REQUEST_SECONDS))
        return self

    def cost(self, width: int, height: int, limit: float = math.inf) -> Cost:
        """What painting these edits adds to every render of a width×height photo."""
        return Cost.of(len(self.keep) + len(self.remove), self.strokes, width, height, limit)


@dataclass(frozen=True)
class Edits:
    """Every batch a job has received, oldest first."""

    batches: tuple[Batch, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> Edits:
        return cls(tuple(Batch.from_dict(b) for b in data.get("batches", [])))

    @classmethod
    def stored(cls, data: dict) -> Edits:
        """Edits as this module wrote them (`to_dict`): checked when they came in, so
        read as they are, not checked again on every render."""
        return cls(
            tuple(
                Batch(
                    tuple(map(tuple, b["keep"])),
                    tuple(map(tuple, b["remove"])),
                    tuple(
                        Stroke(s["mode"], s["radius"], tuple(map(tuple, s["points"])))
                        for s in b["strokes"]
                    ),
                )
                for b in data.get("batches", [])
            )
        )

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

    def cost(self, width: int, height: int, limit: float = math.inf) -> Cost:
        return Cost.of(len(self.taps), self.strokes, width, height, limit)


@dataclass(frozen=True)
class Cost:
    """What edits cost a render: taps to decide, strokes to paint, an outline to snap."""

    taps: int = 0
    paint: float = 0.0  # seconds of painting strokes
    snap: float = 0.0  # megapixels of the taps' outline to snap
    taps_only: bool = True  # no strokes

    @classmethod
    def of(
        cls,
        taps: int,
        strokes: Sequence[Stroke],
        width: int,
        height: int,
        limit: float = math.inf,
    ) -> Cost:
        """The cost at a width×height photo; once past `limit` seconds, a cost that is."""
        cost = cls(taps, taps_only=not strokes)
        side = max(width, height)
        for scale in {1.0, min(1.0, PREVIEW_SIDE / side)}:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            if taps:  # what the taps changed is snapped once, over at most the whole mask
                cost += Cost(snap=size[0] * size[1] / 1e6)
            for megapixels, step in _painting(strokes, scale, size):
                full, reduced = PIECE_SECONDS
                cost += Cost(paint=megapixels * (full + reduced / step**2))
                if cost.seconds > limit:
                    return cost
        return cost

    @property
    def seconds(self) -> float:
        return self.taps * TAP_SECONDS + self.paint + self.snap * SNAP_SECONDS

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.taps + other.taps,
            self.paint + other.paint,
            self.snap + other.snap,
            self.taps_only and other.taps_only,
        )

    def advice(self, budget: float, *, job: bool = False) -> str:
        """What to reduce, for edits that cost more than `budget` seconds: one
        request's, or (`job`) all of a job's."""
        if self.paint <= budget * 0.75:  # the taps are what does not fit
            room = budget - self.paint - self.snap * SNAP_SECONDS
            most = max(0, int(room // TAP_SECONDS))
            besides = "" if self.taps_only else " beside these strokes"
            if job:
                return (
                    f"A photo can hold at most {most} taps{besides}; undo some or reset to "
                    "start again."
                )
            return f"At most {most} taps can be sent at a time{besides}."
        if job:
            return (
                "This photo holds as many edits as it can paint in time: undo some or reset "
                "to start again, with a smaller brush or shorter strokes."
            )
        return (
            "These edits are too much to paint at once on a photo this size: make the "
            "brush smaller or the strokes shorter, or send fewer at a time."
        )


def check_budget(stored: Edits, new: Batch, width: int, height: int) -> None:
    """EditError when a job's stored edits and a new request together would make every
    later render of its width×height photo paint for longer than JOB_SECONDS."""
    total = stored.cost(width, height, JOB_SECONDS) + new.cost(width, height, JOB_SECONDS)
    if new and total.seconds > JOB_SECONDS:
        raise EditError(total.advice(JOB_SECONDS, job=True))


# "At most …": the web's tests and clients read these words.
_TOO_MANY_POINTS = f"At most {MAX_POINTS} points over all strokes can be sent at a time."


def _points(value: object, owner: str, limit: int, what: str) -> tuple[Point, ...]:
    """`value` read as [x, y] points of `owner` ("keep", "stroke 2"); `what` is the
    plural of what they are, for the message when there are too many ("keep taps")."""
    if not isinstance(value, list):
        field = owner if owner in MODES else f"The points of {owner}"
        raise EditError(f"{field} must be a list of [x, y] points.")
    if len(value) > limit:
        raise EditError(
            _TOO_MANY_POINTS
            if what == "points"
            else f"At most {limit} {what} can be sent at a time."
        )
    return tuple(_point(p, owner) for p in value)


def _point(value: object, owner: str) -> Point:
    message = f"Each point of {owner} must be [x, y], two numbers in photo pixels."
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise EditError(message)
    try:
        x, y = float(value[0]), float(value[1])
    except OverflowError:  # an integer past about 1e308
        raise EditError(message) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise EditError(message)
    return (x, y)


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
    points = _points(value.get("points"), f"stroke {index + 1}", MAX_POINTS, "points")
    if not points:
        raise EditError(f"Stroke {index + 1} has no points.")
    return Stroke(mode, float(radius), points)


@dataclass(frozen=True)
class Brush:
    """How painting.py works a stroke of `radius` pixels of the mask it paints."""

    radius: float
    ring: int  # the edge that is snapped to the photo, on each side of the outline
    step: int  # mask pixels per working pixel: 1 up to FINE_RING, then a power of two
    reach: int  # how far from its points the stroke changes the mask
    span: int  # the longest piece, in mask pixels

    @classmethod
    def of(cls, radius: float) -> Brush:
        radius = max(0.5, radius)
        ring = max(1, round(0.25 * radius))
        step = 1 if ring <= FINE_RING else 1 << math.ceil(math.log2(ring / FINE_RING))
        reach = math.ceil(radius) + 2 * ring + 2
        span = PIECE * step if step > 1 else min(PIECE, max(MIN_PIECE, 8 * reach))
        return cls(radius, ring, step, reach, span)


def pieces(points: list[tuple[int, int]], span: int) -> list[list[tuple[int, int]]]:
    """The stroke through `points` as runs of points no more than `span` apart in x or y.

    Long segments get points in between first; each run starts at the point the
    last one ended, so the pieces join without a gap.
    """
    dense = points[:1]
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        count = math.ceil(max(abs(bx - ax), abs(by - ay)) / max(1, span // 2))
        dense += [
            (round(ax + (bx - ax) * k / count), round(ay + (by - ay) * k / count))
            for k in range(1, count + 1)
        ]
    runs: list[list[tuple[int, int]]] = []
    run = dense[:1]
    low_x = high_x = dense[0][0]
    low_y = high_y = dense[0][1]
    for x, y in dense[1:]:
        low_x, high_x, low_y, high_y = min(low_x, x), max(high_x, x), min(low_y, y), max(high_y, y)
        if len(run) > 1 and max(high_x - low_x, high_y - low_y) > span:
            runs.append(run)
            run = [run[-1]]
            low_x, high_x = min(run[0][0], x), max(run[0][0], x)
            low_y, high_y = min(run[0][1], y), max(run[0][1], y)
        run.append((x, y))
    return [*runs, run]


def _painting(
    strokes: Sequence[Stroke], scale: float, size: tuple[int, int]
) -> Iterator[tuple[float, int]]:
    """(megapixels, step) for every piece painting.py paints of `strokes` on a mask
    of `size`, `scale` times the photo's; one (inf, 1) when the strokes
    are so long that cutting them into pieces would itself take too long."""
    width, height = size
    jobs, dense = [], 0
    for stroke in strokes:
        brush = Brush.of(stroke.radius * scale)
        points = [(round(x * scale), round(y * scale)) for x, y in stroke.points]
        half = max(1, brush.span // 2)
        dense += 1 + sum(
            math.ceil(max(abs(bx - ax), abs(by - ay)) / half)
            for (ax, ay), (bx, by) in zip(points, points[1:], strict=False)
        )
        jobs.append((points, brush))
    if dense > _MOST_DENSE:
        yield math.inf, 1
        return
    for points, brush in jobs:
        reach, every = brush.reach, brush.step
        for piece in pieces(points, brush.span):
            xs, ys = [p[0] for p in piece], [p[1] for p in piece]
            x0, x1 = max(0, min(xs) - reach) // every * every, min(width, max(xs) + reach + 1)
            y0, y1 = max(0, min(ys) - reach) // every * every, min(height, max(ys) + reach + 1)
            area = max(0, x1 - x0) * max(0, y1 - y0) / 1e6
            yield area, every
