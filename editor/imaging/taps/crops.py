"""The "crops" design of taps (the site's until issue 18), kept to be measured beside its successor.

A keep-tap brings in the whole object under it and a remove-tap takes a whole
wrongly kept thing out. U-2-Net is run again on a square crop around the tap:
zoomed in, the tapped object is usually the salient one, and the piece of that
crop's mask under the tap is the object. When the crops cut that object, a
square holding both the tap and the kept subject is tried too. A remove-tap
on a separate piece of the mask takes the piece out without the network; one
that both close views see as background takes the holes beside it too (a
bike's wheel). Where the network cannot tell, GrabCut decides in a window
around the tap, started from what the photo's edges join to a deep remove-tap.
"""

from __future__ import annotations

import cv2
import numpy as np

from .. import refine
from ..painting import disc
from . import shapes

# Crop sides as shares of the photo's longer side, tried widest first: a wide crop
# holds a whole large object, a narrow one makes a small one salient.
CROPS = (0.5, 0.25)
MAX_OBJECT = 0.85  # an "object" filling more of its crop than this is the crop's background
GRABCUT_WINDOW = 0.2  # share of the photo's longer side, when the network cannot tell
MIN_CROP = 96  # pixels of the photo: the network needs some context around a tap
INSIST_REACH = 0.02  # share of the longer side: a tap nearer the outline never insists
DEEP_REMOVE = 0.03  # share of the longer side: a remove-tap this deep in the mask insists at once
MIN_RIM = 3  # work pixels of a GrabCut window's rim that stay as they were when a tap insists
SLIVER = 3.0  # work pixels: a tap this near the outline (on its side) asks for a thin strip
SLIVER_REACH = 10  # how far along the outline a sliver tap's strip may run, in tap depths
GRABCUT_SEED = 8  # GrabCut starts from random k-means: the same seed, the same answer
HOLES_REACH = 0.25  # share of the closer view's side: how far from a remove-tap its holes go
SLIVER_SNAP = 1.0  # the same for a sliver tap's strip: a narrow window for a narrow strip


class Tapper:
    """The smart part of a tap, on the work-size copy `small` of the photo `pixels`."""

    HOLDS = False  # as before issue 18: painting's snap may move the outline anywhere near

    def __init__(self, pixels, small, scale, session, cache):
        self.pixels, self.small, self.scale = pixels, small, scale
        self.session, self.cache = session, cache
        # Earlier taps stand: a later tap never undoes what an earlier one said of its spot.
        self.taps: dict[str, list[tuple[int, int]]] = {"keep": [], "remove": []}

    def _holds(self, region: np.ndarray, corner: tuple[int, int], mode: str, q) -> bool:
        """Whether `region` (a box at `corner`) holds an earlier `mode` tap. One on the
        very spot of this tap `q` does not count: the visitor has changed their mind."""
        x0, y0 = corner
        h, w = region.shape
        return any(
            0 <= x - x0 < w and 0 <= y - y0 < h and region[y - y0, x - x0]
            for x, y in self.taps[mode]
            if abs(x - q[0]) + abs(y - q[1]) > 4
        )

    def keep(self, target: np.ndarray, q: tuple[int, int]) -> np.ndarray:
        hard = target > 0.5
        if 0 < shapes.reach(hard, q, "keep") <= SLIVER:  # 0: the tap is on what is kept already
            return self._sliver(target, q, "keep")
        partial = None  # an object the crop's edge cuts: used if no view holds it whole
        for box, obj in [*self._objects(q), *self._context(hard, q)]:
            region = self._kept(target, box, obj, q)
            if region is None:
                continue
            if not shapes.cut_off(region, box[:2], hard):
                return shapes.add(target, box, obj, region)
            partial = partial or (box, obj, region)
        return shapes.add(target, *partial) if partial else self._grabcut(target, q, "keep")

    def _kept(self, target, box, obj, q) -> np.ndarray | None:
        """What a keep-tap at q adds from this close view `obj` of `box`, or None."""
        x0, y0, x1, y1 = box
        local = (q[0] - x0, q[1] - y0)
        # Where the close view is unsure at the tap, what it rates as high as the tap.
        level = min(0.5, 0.7 * float(obj[local[1], local[0]]))
        region = shapes.piece(obj > max(level, 0.1), local)
        if region is None or self._holds(region, (x0, y0), "remove", q):
            return None
        if region.mean() >= MAX_OBJECT:
            return None
        part = target[y0:y1, x0:x1]
        # What the tap adds is the missing piece under it, not every other thing
        # the close view joins to the subject (a crowd behind a dancer).
        return shapes.piece(region & (part <= 0.5), local) if part[local[::-1]] <= 0.5 else region

    def _context(self, hard: np.ndarray, q: tuple[int, int]):
        """The close view of a square holding the tap and the kept subject, 1.2 times as wide."""
        ys, xs = np.nonzero(hard)
        if len(ys) == 0 or self.session is None:
            return
        left, right = min(xs.min(), q[0]), max(xs.max(), q[0])
        top, bottom = min(ys.min(), q[1]), max(ys.max(), q[1])
        side = 1.2 * max(right - left, bottom - top) / self.scale
        centre = ((left + right + 1) / 2 / self.scale, (top + bottom + 1) / 2 / self.scale)
        yield self._view(centre, side, q)

    def remove(self, target: np.ndarray, q: tuple[int, int]) -> np.ndarray:
        hard = target > 0.5
        count, labels = cv2.connectedComponents(hard.astype(np.uint8), connectivity=8)
        label = labels[q[1], q[0]]
        if label == 0:
            return target  # nothing is kept here
        piece = labels == label
        # A tap near the heart of a piece means the piece; one near its outline, that stretch.
        depth = cv2.distanceTransform(np.pad(piece.astype(np.uint8), 1), cv2.DIST_L2, 5)
        depth = depth[1:-1, 1:-1]
        central = depth[q[1], q[0]] >= 0.5 * depth.max()
        # A tap near the outline trims near the outline: nothing much deeper than the tap goes.
        shallow = depth <= max(3 * depth[q[1], q[0]], depth[q[1], q[0]] + 0.02 * max(hard.shape))
        near = np.zeros(hard.shape, np.uint8)  # the last resort, GrabCut, only trims around the tap
        cv2.circle(near, q, round(max(4.0, 4 * float(depth[q[1], q[0]]))), 1, -1)
        sizes = np.bincount(labels.ravel(), minlength=count)[1:]
        protected = self._holds(piece, (0, 0), "keep", q)
        if central and sizes[label - 1] < sizes.max() and not protected:
            return shapes.cut(target, piece)  # a separate, smaller piece: all of it goes
        if depth[q[1], q[0]] <= SLIVER:
            return self._sliver(target, q, "remove")
        views = self._objects(q)
        for (x0, y0, x1, y1), obj in views:
            inside = piece[y0:y1, x0:x1]
            local = (q[0] - x0, q[1] - y0)
            salient = obj > 0.5
            if not salient[local[1], local[0]]:
                # Seen closer, the tapped spot is not part of the subject: take out the
                # stretch of the mask the closer look disagrees with, unless the closer
                # look lost the subject itself (most of it, or cut off by the crop's edge).
                region = shapes.piece(inside & ~salient, local)
                if (
                    region.sum() <= 0.5 * inside.sum()
                    and not shapes.cut_off(region, (x0, y0), hard)
                    and not self._holds(region, (x0, y0), "keep", q)
                ):
                    cut = np.zeros_like(hard)
                    cut[y0:y1, x0:x1] = region
                    closer = next(views, None)
                    cut = shapes.agreed(cut & shallow, closer, q)
                    holes = self._holes(hard, ((x0, y0, x1, y1), obj), closer, q)
                    return shapes.cut(target, cut | holes)
                continue
            region = shapes.piece(inside & salient, local)
            if shapes.cut_off(region, (x0, y0), hard):
                continue  # the tapped object runs out of this crop: look wider or closer
            if self._holds(region, (x0, y0), "keep", q):
                continue
            if central and region.sum() >= 0.7 * piece.sum() and not protected:
                return shapes.cut(target, piece)  # the tapped object is this whole piece
            if region.sum() <= 0.5 * piece.sum():
                cut = np.zeros_like(hard)
                cut[y0:y1, x0:x1] = region
                return shapes.cut(target, cut if central else cut & shallow)  # a thing of its own
        return self._grabcut(target, q, "remove", allowed=shallow & near.astype(bool))

    def _holes(self, hard: np.ndarray, wider, closer, q: tuple[int, int]) -> np.ndarray:
        """Kept pieces near a remove-tap that both close views see as background, when
        both see the tap so: the other holes of a bike's wheel, or between a dancer's
        limbs, go with the one tapped. A hole goes whole or not at all: not one that
        runs out of the closer view, nor one that holds an earlier keep-tap."""
        holes = np.zeros_like(hard)
        if closer is None:
            return holes
        (x0, y0, x1, y1), obj = closer
        if obj[q[1] - y0, q[0] - x0] > 0.5:
            return holes
        holes[y0:y1, x0:x1] = hard[y0:y1, x0:x1] & (obj <= 0.5)
        (wx0, wy0, wx1, wy1), wide = wider
        holes[wy0:wy1, wx0:wx1] &= wide <= 0.5
        near = np.zeros(hard.shape, np.uint8)
        cv2.circle(near, q, round(HOLES_REACH * (x1 - x0)), 1, -1)
        _, labels = cv2.connectedComponents(holes.astype(np.uint8), connectivity=8)
        reached = set(np.unique(labels[near.astype(bool)]))
        kept = {labels[y, x] for x, y in self.taps["keep"]}
        out = np.zeros_like(hard)
        for label in reached - kept - {0}:
            hole = labels == label
            if not shapes.cut_off(hole[y0:y1, x0:x1], (x0, y0), hard):
                out |= hole
        return out

    def _sliver(self, target: np.ndarray, q: tuple[int, int], mode: str) -> np.ndarray:
        """A tap a few pixels from the outline: the visitor means a thin strip along it.

        A band along the outline near the tap, twice the tap's depth wide, is left
        open and the guided filter settles it by the photo's colours, the way the
        outline itself was drawn; the tap's own spot is the visitor's answer. No
        network run: a close view or GrabCut's colour models only blur a strip
        this thin, and often move the outline the wrong way.
        """
        height, width = target.shape
        depth = max(1.0, shapes.reach(target > 0.5, q, mode))
        reach = round(max(12, SLIVER_REACH * depth))
        x0, x1 = max(0, q[0] - reach), min(width, q[0] + reach + 1)
        y0, y1 = max(0, q[1] - reach), min(height, q[1] + reach + 1)
        part = target[y0:y1, x0:x1]
        hard = part > 0.5
        side = hard if mode == "remove" else ~hard  # the side the tap argues with
        inward = cv2.distanceTransform(np.pad(side.astype(np.uint8), 1), cv2.DIST_L2, 5)
        local = (q[0] - x0, q[1] - y0)
        near = np.zeros(hard.shape, np.uint8)
        cv2.circle(near, local, reach, 1, -1)
        band = side & (inward[1:-1, 1:-1] <= 2 * depth + 1) & near.astype(bool)
        value = 1.0 if mode == "keep" else 0.0
        spot = np.zeros(hard.shape, np.uint8)
        cv2.circle(spot, local, round(depth), 1, -1)
        open_ = hard.astype(np.float32)
        open_[band] = 0.5
        open_[spot.astype(bool)] = value
        snapped = refine.refine(self.small[y0:y1, x0:x1], open_, radius=SLIVER_SNAP)
        flip = band & (snapped > 0.5 if mode == "keep" else snapped < 0.5)
        flip |= spot.astype(bool) & side
        # Earlier taps of the other kind keep their spots.
        theirs = np.zeros(hard.shape, np.uint8)
        for x, y in self.taps["remove" if mode == "keep" else "keep"]:
            cv2.circle(theirs, (x - x0, y - y0), 2, 1, -1)
        region = shapes.piece(flip & ~theirs.astype(bool), local)
        if region is not None:
            part[region] = value
        return target

    def _grabcut(
        self, target: np.ndarray, q: tuple[int, int], mode: str, allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """GrabCut in a window around the tap, seeded by the mask and the taps; a remove-tap
        takes out only what is `allowed` (work-size bool), unless the visitor insists."""
        height, width = target.shape
        half = max(24, round(GRABCUT_WINDOW * max(height, width) / 2))
        # A second tap of the same kind near an earlier one, on what is still wrong: the
        # visitor insists, so look wider and let only the window's rim keep its say.
        # A remove-tap deep inside the mask, that no close view settled, insists at once.
        reach = shapes.reach(target > 0.5, q, mode) / max(height, width)
        insists = (mode == "remove" and reach >= DEEP_REMOVE) or (
            reach >= INSIST_REACH
            and any(max(abs(x - q[0]), abs(y - q[1])) <= half for x, y in self.taps[mode])
        )
        half = 2 * half if insists else half
        allowed = None if insists else allowed
        x0, x1 = max(0, q[0] - half), min(width, q[0] + half + 1)
        y0, y1 = max(0, q[1] - half), min(height, q[1] + half + 1)
        part = target[y0:y1, x0:x1]
        hard = (part > 0.5).astype(np.uint8)
        seeds = np.where(hard, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        # Certain: what is well inside or well outside the mask, except, on the side the
        # tap argues with, near the tap (a keep-tap may pull in what is near it).
        margin = disc(max(3, half // 6))
        local = (q[0] - x0, q[1] - y0)
        far = np.ones_like(hard)
        if insists:
            far[MIN_RIM:-MIN_RIM, MIN_RIM:-MIN_RIM] = 0
        else:
            cv2.circle(far, local, round(0.6 * half), 0, -1)
        inner = cv2.erode(hard, margin).astype(bool)
        outer = ~cv2.dilate(hard, margin).astype(bool)
        seeds[inner & (far.astype(bool) if mode == "remove" else True)] = cv2.GC_FGD
        seeds[outer & (far.astype(bool) if mode == "keep" else True)] = cv2.GC_BGD
        window = self.small[y0:y1, x0:x1]
        rounds = 3
        if insists and mode == "remove":
            # The mask joins the tapped thing to the subject (a second camel behind the
            # first), and colour models learnt from the whole mask keep both. Start them
            # apart: what the photo's edges join to the tap is the first guess at the thing.
            # One round: more drift back to the joined mask, by k-means' random start.
            joined = shapes.flooded(window, target, seeds, (x0, y0), q, max(2, half // 12))
            seeds[(seeds == cv2.GC_PR_FGD) & joined] = cv2.GC_PR_BGD
            rounds = 1
        for other, points in self.taps.items():
            for x, y in points:
                seed = cv2.GC_FGD if other == "keep" else cv2.GC_BGD
                cv2.circle(seeds, (x - x0, y - y0), max(2, half // 12), int(seed), -1)
        tap = cv2.GC_FGD if mode == "keep" else cv2.GC_BGD
        cv2.circle(seeds, local, max(2, half // 12), int(tap), -1)
        fg, bg = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        # A fixed seed: the same edits give the same mask on every render and every worker.
        cv2.setRNGSeed(GRABCUT_SEED)
        try:
            cv2.grabCut(window, seeds, None, bg, fg, rounds, cv2.GC_INIT_WITH_MASK)
        except cv2.error:  # one colour model empty: nothing to separate in this window
            return shapes.fill_disc(target, q, 1.0 if mode == "keep" else 0.0)
        chosen = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
        if mode == "keep":
            region = shapes.piece(chosen, local)
            if not insists:
                # What is new stays near the tap: GrabCut also takes, all across its
                # window, any strip along the outline that looks like the subject.
                region = shapes.piece(region & (hard.astype(bool) | ~far.astype(bool)), local)
            part[region] = 1.0
        else:
            gone = ~chosen & hard.astype(bool)
            if allowed is not None:
                gone &= allowed[y0:y1, x0:x1]
            region = shapes.piece(gone, local)
            if region is None or region.sum() > 0.5 * hard.sum():
                return shapes.fill_disc(target, q, 0.0)
            part[region] = 0.0
        return target

    def _objects(self, q: tuple[int, int]):
        """(box in work pixels, the crop's refined network mask) for each crop size."""
        if self.session is None:
            return
        longest = max(self.pixels.shape[:2])
        centre = ((q[0] + 0.5) / self.scale, (q[1] + 0.5) / self.scale)
        for share in CROPS:
            yield self._view(centre, share * longest, q)

    def _view(self, centre: tuple[float, float], side: float, q: tuple[int, int]):
        """The network's refined mask of a square of the photo, as (work box, mask)."""
        return shapes.view(self, centre, max(MIN_CROP, round(side)), q)
