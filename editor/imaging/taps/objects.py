"""The "objects" design of taps: a tap flips the thing the network sees under it.

A tap says "the thing under this spot is on the wrong side". It is read in
turn, and the first reading is believed (for a keep-tap, the first that takes
at least half of the tap's own spot, the disc out to the outline):
1. a remove-tap on a piece of the mask apart from the subject: that piece;
2. U-2-Net's decoder features of the whole photo (one run per photo, no run
   per tap): the pixels nearer in feature likeness to the tap than to the rest
   of its side of the mask, snapped to the photo by the guided filter, joined
   to the tap, within SPREAD times its distance from the outline;
3. for a keep-tap, a close crop around the tap, the network run on it: zoomed
   in, a small thing becomes the salient one; what it sees as salient there;
4. the photo's edges around the tap (a watershed), as far as the tap is deep.

Guarantees, whatever the network says: a keep-tap only adds and a remove-tap
only removes (painting holds what no tap changed); pixels near an earlier tap
of the other kind stay as it said; a remove-tap takes at most MAX_REMOVED of
the subject (the mask's largest piece).
"""

from __future__ import annotations

import cv2
import numpy as np

from .. import refine, segment
from . import shapes

MIN_CROP = 96  # pixels of the photo: the network needs some context around a tap
MAX_OBJECT = 0.85  # a "thing" filling more of its crop than this is the crop's background
CLOSE = 0.25  # the close crop's side, as a share of the photo's longer side
COVER = 0.5  # share of the tap's own spot a reading must take to be believed
MAX_REMOVED = 0.5  # share of what is kept that one remove-tap may take at most
GUARD = 0.01  # share of the longer side: the spot of an earlier tap that later taps leave
FEATURE_GAIN = 4.0  # how sharply a margin in feature likeness becomes a mask value
SPREAD = 6.0  # how far a tap's thing may reach, in tap depths (distance to the outline)
FLOOD_REACH = 2.0  # the watershed's window, in tap depths (distance to the outline)


class Tapper:
    """Decides taps one after another on the work-size copy `small` of the photo `pixels`."""

    HOLDS = True  # painting keeps the guarantees: it flips only what a tap changed

    def __init__(self, pixels, small, scale, session, cache):
        self.pixels, self.small, self.scale = pixels, small, scale
        self.session, self.cache = session, cache
        self.taps: dict[str, list[tuple[int, int]]] = {"keep": [], "remove": []}

    def keep(self, target: np.ndarray, q: tuple[int, int]) -> np.ndarray:
        return self._flip(target, q, "keep")

    def remove(self, target: np.ndarray, q: tuple[int, int]) -> np.ndarray:
        return self._flip(target, q, "remove")

    def _flip(self, target: np.ndarray, q: tuple[int, int], mode: str) -> np.ndarray:
        hard = target > 0.5
        side = ~hard if mode == "keep" else hard  # the pixels this tap may change
        guarded = self.guarded_spots(hard.shape, mode, q)
        side &= ~guarded
        if not side[q[1], q[0]]:
            return target  # already as the tap asks, or an earlier tap's spot
        # The first reading of the tap that keeps the guarantees: the piece of the mask
        # it is on, what the network's features join to it, what the photo's edges do.
        # A keep-reading that does not cover the tap's own spot (the disc out to the
        # outline) has missed the thing: the next one is asked. A remove-tap's spot
        # often reaches into the subject (the outline is the mask's, not the truth's).
        spot = np.zeros(hard.shape, np.uint8)
        cv2.circle(spot, q, max(1, round(shapes.reach(hard, q, mode))), 1, -1)
        spot = spot.astype(bool) & side
        readings = (self._separate, self._from_features, self._from_view, self._flooded)
        for read in readings:
            region = read(target, side, guarded, q, mode)
            if region is None or (mode == "remove" and region.sum() > self.removable(hard, q)):
                continue
            if read is readings[-1] or mode == "remove" or region[spot].mean() >= COVER:
                target[region] = 1.0 if mode == "keep" else 0.0  # painting snaps the outline
                break
        return target

    def _separate(self, target, side, guarded, q, mode):
        """The region when a remove-tap is on a piece of the mask apart from the
        subject (its largest piece): the mask has found that object already, all of it."""
        if mode == "keep":
            return None
        hard = target > 0.5
        count, labels, stats, _ = cv2.connectedComponentsWithStats(hard.astype(np.uint8), 8)
        label = labels[q[1], q[0]]
        if stats[label, cv2.CC_STAT_AREA] >= stats[1:, cv2.CC_STAT_AREA].max():
            return None
        return (labels == label) & side

    def removable(self, hard: np.ndarray, q: tuple[int, int]) -> float:
        """The most one remove-tap at q may take: a separate piece of the mask whole, but
        of the largest piece (the subject) at most MAX_REMOVED."""
        count, labels, stats, _ = cv2.connectedComponentsWithStats(hard.astype(np.uint8), 8)
        sizes = stats[1:, cv2.CC_STAT_AREA]
        size = sizes[labels[q[1], q[0]] - 1]
        return float(size) if size < sizes.max() else MAX_REMOVED * size

    def guarded_spots(self, shape: tuple[int, int], mode: str, q: tuple[int, int]) -> np.ndarray:
        """Pixels near earlier taps of the other kind: this tap leaves them. One on the
        very spot of this tap does not count: the visitor has changed their mind."""
        guard = np.zeros(shape, np.uint8)
        radius = max(3, round(GUARD * max(shape)))
        for x, y in self.taps["remove" if mode == "keep" else "keep"]:
            if abs(x - q[0]) + abs(y - q[1]) > 4:
                cv2.circle(guard, (x, y), radius, 1, -1)
        return guard.astype(bool)

    def _from_features(self, target, side, guarded, q, mode):
        """The pixels of the tap's side, joined to it, that the network's
        features put nearer to the tap's than to what they are to be told from."""
        found = self._features()
        if found is None:
            return None
        feats = found  # C×h×w, unit vectors
        _, fh, fw = feats.shape
        height, width = target.shape

        def cell(p):
            return min(fh - 1, int(p[1] * fh / height)), min(fw - 1, int(p[0] * fw / width))

        tapped = [feats[:, cell(q)[0], cell(q)[1]]]
        tapped += [feats[:, y, x] for y, x in map(cell, self.taps[mode])]
        # What the tap's thing is told from: the rest of its side of the mask, and the
        # spots of earlier taps of the other kind.
        small_side = cv2.resize(side.astype(np.float32), (fw, fh), interpolation=cv2.INTER_AREA)
        rest = small_side > 0.5
        other = "remove" if mode == "keep" else "keep"
        contrast = [feats[:, y, x] for y, x in map(cell, self.taps[other])]
        if rest.sum() > 1:
            mean = feats[:, rest].mean(axis=1)
            contrast.append(mean / max(float(np.linalg.norm(mean)), 1e-6))
        flat = feats.reshape(len(feats), -1)
        near = (np.stack(tapped) @ flat).max(axis=0)
        far = (np.stack(contrast) @ flat).max(axis=0) if contrast else np.zeros_like(near)
        margin = (near - far).reshape(fh, fw)
        soft = np.clip(0.5 + FEATURE_GAIN * margin, 0.0, 1.0).astype(np.float32)
        near = self._near(target, q, mode)
        reach = round(SPREAD * shapes.reach(target > 0.5, q, mode) + GUARD * max(height, width))
        ys, xs = (
            slice(max(0, q[1] - reach), q[1] + reach + 1),
            slice(max(0, q[0] - reach), q[0] + reach + 1),
        )
        # Snapped to the photo in that window only, by the guided filter's own window.
        soft = cv2.resize(soft, (width, height), interpolation=cv2.INTER_LINEAR)[ys, xs]
        radius = refine.RADIUS * max(height, width) / max(fh, fw)
        region = np.zeros(target.shape, bool)
        region[ys, xs] = refine.refine(self.small[ys, xs], soft, radius=radius) > 0.5
        return shapes.piece(region & side & near, q)

    def _from_view(self, target, side, guarded, q, mode):
        """What a close crop around a keep-tap sees as salient, joined to it: zoomed in,
        a small thing the whole photo's features blur away becomes the salient one."""
        if self.session is None or mode == "remove":
            return None  # zoomed in on a wrongly kept spot, the crop often loses the subject
        centre = ((q[0] + 0.5) / self.scale, (q[1] + 0.5) / self.scale)
        width = max(MIN_CROP, round(CLOSE * max(self.pixels.shape[:2])))
        (x0, y0, x1, y1), obj = shapes.view(self, centre, width, q)
        local = (q[0] - x0, q[1] - y0)
        seen = obj > 0.5
        if not seen[local[1], local[0]]:
            return None  # up close the network does not see a subject here either
        region = shapes.piece(seen & side[y0:y1, x0:x1], local)
        if region is None or region.mean() > MAX_OBJECT:
            return None
        full = np.zeros(target.shape, bool)
        full[y0:y1, x0:x1] = region
        return shapes.piece(full & self._near(target, q, mode), q)

    def _near(self, target: np.ndarray, q: tuple[int, int], mode: str) -> np.ndarray:
        """Where a tap's thing may lie: a tap near the outline means a small thing, so
        within SPREAD times its distance from the outline (a missed arm, not the cow behind)."""
        depth = shapes.reach(target > 0.5, q, mode)
        near = np.zeros(target.shape, np.uint8)
        cv2.circle(near, q, round(SPREAD * depth + GUARD * max(target.shape)), 1, -1)
        return near.astype(bool)

    def _features(self) -> np.ndarray | None:
        """The decoder's features of the whole photo, once per photo (kept in the cache)."""
        if self.session is None:
            return None
        key = ("features", segment.FEATURE_SIDE)
        if key not in self.cache:
            _, found = segment.features(self.pixels, self.session)
            self.cache[key] = found.astype(np.float16)
        return self.cache[key].astype(np.float32)

    def _flooded(self, target, side, guarded, q, mode):
        """What the photo's edges join to the tap, within its depth times FLOOD_REACH:
        a watershed from the tap against the window's rim and the mask's far side."""
        hard = target > 0.5
        depth = shapes.reach(hard, q, mode)
        half = max(4, round(FLOOD_REACH * depth))
        height, width = hard.shape
        x0, x1 = max(0, q[0] - half), min(width, q[0] + half + 1)
        y0, y1 = max(0, q[1] - half), min(height, q[1] + half + 1)
        local = (q[0] - x0, q[1] - y0)
        markers = np.zeros((y1 - y0, x1 - x0), np.int32)
        ring = np.ones_like(markers, np.uint8)
        cv2.circle(ring, local, half, 0, -1)
        markers[ring.astype(bool)] = 2
        # The other side is where the tapped thing ends near the tap (joined to it:
        # the tap's label) and a wall elsewhere; guarded spots are a wall too.
        near = np.zeros_like(markers, np.uint8)
        cv2.circle(near, local, round(1.5 * depth) + 1, 1, -1)
        other = ~side[y0:y1, x0:x1]
        markers[other] = 3
        markers[other & near.astype(bool) & ~guarded[y0:y1, x0:x1]] = 1
        cv2.circle(markers, local, max(1, round(0.5 * depth)), 1, -1)
        cv2.watershed(np.ascontiguousarray(self.small[y0:y1, x0:x1]), markers)
        grown = (markers == 1) & side[y0:y1, x0:x1]
        region = shapes.piece(grown, local)
        if region is None:
            return None
        full = np.zeros(hard.shape, bool)
        full[y0:y1, x0:x1] = region
        return full
