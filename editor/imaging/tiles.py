"""Tile-by-tile work spread over the process's threads.

The pipeline's full-size steps work only on the tiles the subject's outline
crosses, and each tile is independent. OpenCV and NumPy release the GIL while
they compute, so threads share the tiles out across cores; the count follows
OpenCV's, so a deployment that gives each process one core gets one thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import cv2
import numpy as np

T = TypeVar("T")


def each(work: Callable[[T], object], items: Iterable[T]) -> None:
    """Call `work` on every item, on as many threads as OpenCV uses."""
    items = list(items)
    threads = min(len(items), max(1, cv2.getNumThreads()))
    if threads <= 1:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(work, items):  # re-raises the first error
            pass


def corners(height: int, width: int, size: int) -> list[tuple[int, int]]:
    """Top-left corners of the size×size tiles that cover height×width."""
    return [(top, left) for top in range(0, height, size) for left in range(0, width, size)]


def crop_resize(
    small: np.ndarray, box: tuple[int, int, int, int], full: tuple[int, int]
) -> np.ndarray:
    """The crop `box` (top, left, height, width) of `small` resized to `full`, without
    resizing all of it: the same pixel-centre mapping as cv2.resize, as an affine warp."""
    top, left, height, width = box
    sx, sy = small.shape[1] / full[0], small.shape[0] / full[1]
    to_small = np.float32([[sx, 0, (left + 0.5) * sx - 0.5], [0, sy, (top + 0.5) * sy - 0.5]])
    return cv2.warpAffine(
        small, to_small, (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE,
    )  # fmt: skip
