"""Shapes the tap designs share: the piece under a tap, how deep it is, how it is cut."""

from __future__ import annotations

import cv2
import numpy as np

from .. import refine, segment
from ..painting import disc


def piece(region: np.ndarray, q: tuple[int, int]) -> np.ndarray | None:
    """The connected part of `region` that holds the point q, or None if q is not in it."""
    if region is None or not region[q[1], q[0]]:
        return None
    _, labels = cv2.connectedComponents(region.astype(np.uint8), connectivity=8)
    return labels == labels[q[1], q[0]]


def flooded(window, target, seeds, corner, q, radius: int) -> np.ndarray:
    """The part of GrabCut's `window` (at `corner` of the work image, `seeds` its labels)
    that the photo's edges join to the tap q: flooded from the tap against the certain
    labels and the core of the kept subject `target` (its point deepest inside the mask)."""
    x0, y0 = corner
    height, width = seeds.shape
    markers = np.zeros(seeds.shape, np.int32)
    markers[seeds == cv2.GC_BGD] = 3
    markers[seeds == cv2.GC_FGD] = 2
    whole = np.pad((target > 0.5).astype(np.uint8), 1)
    depth = cv2.distanceTransform(whole, cv2.DIST_L2, 5)[1:-1, 1:-1]
    cy, cx = np.unravel_index(int(np.argmax(depth)), depth.shape)
    if 0 <= cx - x0 < width and 0 <= cy - y0 < height:
        cv2.circle(markers, (int(cx) - x0, int(cy) - y0), radius, 2, -1)
    cv2.circle(markers, (q[0] - x0, q[1] - y0), radius, 1, -1)
    cv2.watershed(np.ascontiguousarray(window), markers)
    return markers == 1


def agreed(cut: np.ndarray, closer, q: tuple[int, int]) -> np.ndarray:
    """What of `cut` (work-size bool, holding the tap q) the `closer` view (box, map), if
    any, also sees as not the subject: a wider view can drop a limb or a bike's frame with
    the background beside it, and zoomed in the network sees it again."""
    if closer is None:
        return cut
    (x0, y0, x1, y1), obj = closer
    seen = np.zeros_like(cut)
    seen[y0:y1, x0:x1] = obj > 0.5
    if seen[q[1], q[0]]:
        return cut  # up close the tap is on the subject: no say on the stretch
    trimmed = piece(cut & ~seen, q)
    return cut if trimmed is None else trimmed


def reach(hard: np.ndarray, q: tuple[int, int], mode: str) -> float:
    """How far the tap q is from the outline, on the side a `mode` tap argues with."""
    side = hard if mode == "remove" else ~hard
    depth = cv2.distanceTransform(np.pad(side.astype(np.uint8), 1), cv2.DIST_L2, 5)
    return float(depth[q[1] + 1, q[0] + 1])


def add(target: np.ndarray, box, obj: np.ndarray, region: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = box
    part = target[y0:y1, x0:x1]
    grown = cv2.dilate(region.astype(np.uint8), disc(2)).astype(bool)
    part[grown] = np.maximum(part[grown], obj[grown])
    return target


def cut_off(region: np.ndarray, corner: tuple[int, int], whole: np.ndarray) -> bool:
    """Whether `region` (a box at `corner` of the work image `whole`) runs into a side of
    its box that is not a side of the photo: then it is part of something the box cuts."""
    x0, y0 = corner
    h, w = region.shape
    sides = [
        (region[:, 0], x0 > 0),
        (region[:, -1], x0 + w < whole.shape[1]),
        (region[0], y0 > 0),
        (region[-1], y0 + h < whole.shape[0]),
    ]
    return any(inner and edge.any() for edge, inner in sides)


def cut(target: np.ndarray, region: np.ndarray) -> np.ndarray:
    target[region] = 0.0  # not a pixel more: painting snaps the new outline to the photo
    return target


def fill_disc(target: np.ndarray, q: tuple[int, int], value: float) -> np.ndarray:
    """Without the network a tap can only be a dot of paint, a hundredth of the photo wide."""
    cv2.circle(target, q, max(3, round(0.01 * max(target.shape))), float(value), -1)
    return target


def view(tapper, centre: tuple[float, float], side: int, q: tuple[int, int]):
    """The network's refined mask of a square of the photo `side` pixels wide around
    `centre`, moved inside the photo, as (work box, mask); `tapper` holds the photo
    (pixels, its work copy small at scale), the session and the cache of crop maps."""
    height, width = tapper.pixels.shape[:2]
    small_h, small_w = tapper.small.shape[:2]
    side = min(side, width, height)
    x0 = int(min(max(0, centre[0] - side / 2), width - side))
    y0 = int(min(max(0, centre[1] - side / 2), height - side))
    box = (x0, y0, x0 + side, y0 + side)
    if box not in tapper.cache:
        crop = tapper.pixels[y0 : y0 + side, x0 : x0 + side]
        tapper.cache[box] = segment.saliency(crop, tapper.session)
    scale = tapper.scale
    wx0, wy0 = min(round(x0 * scale), q[0]), min(round(y0 * scale), q[1])
    wx1 = max(min(small_w, round((x0 + side) * scale)), q[0] + 1)
    wy1 = max(min(small_h, round((y0 + side) * scale)), q[1] + 1)
    return (wx0, wy0, wx1, wy1), refine.refine(tapper.small[wy0:wy1, wx0:wx1], tapper.cache[box])
