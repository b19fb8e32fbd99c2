"""Deciding what a tap means: the object under it, kept or taken out.

Taps are decided on a copy of the photo at most WORK_SIDE pixels long (`plan`),
one after another, each by a design's tapper; painting.py then paints the
decision at any size. Three designs stand side by side so `manage.py clicks`
can measure them in one run: "crops" (crops.py, the rules tuned before issue
18), "objects" (objects.py: the network's own features, built to keep issue
18's guarantees) and "guarded" (guarded.py: the crops rules held to those
guarantees), which the site uses: a tap never destroys a mask, and on the tune
sets it reads taps about as well as crops (better after one tap on davis,
a little worse after three; `make clicks` prints all three).
"""

from __future__ import annotations

from collections.abc import MutableMapping

import cv2
import numpy as np

from ..edits import Edits
from ..painting import Plan
from . import crops, guarded, objects

WORK_SIDE = 1024
DESIGNS = {"objects": objects.Tapper, "crops": crops.Tapper, "guarded": guarded.Tapper}
DESIGN = "guarded"
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in photo pixels


def apply(pixels: np.ndarray, mask: np.ndarray, edits: Edits, **options) -> np.ndarray:
    """The full-size mask with `edits` applied; `options` are plan's (session, cache, …)."""
    return plan(pixels, mask, edits, **options).paint(pixels, mask)


def plan(
    pixels: np.ndarray,
    mask: np.ndarray,
    edits: Edits,
    *,
    session=None,
    cache: MutableMapping[Box, np.ndarray] | None = None,
    design: str = DESIGN,
    memo: dict | None = None,
) -> Plan:
    """Decide what each tap brings in or takes out, on a work-size copy.

    `cache` maps a crop box to the network's map of it; pass the same mapping
    again (or one kept on disk) and re-applying earlier taps costs no network run.
    `memo` (a dict, for one photo and mask) keeps the decision after each list of
    taps, so the same taps plus one more decide only the new one.
    """
    height, width = mask.shape
    scale = min(1.0, WORK_SIDE / max(height, width))
    work = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(pixels, work, interpolation=cv2.INTER_AREA) if scale < 1 else pixels
    target = cv2.resize(mask, work, interpolation=cv2.INTER_AREA) if scale < 1 else mask.copy()
    before = target > 0.5
    tapper = DESIGNS[design](pixels, small, scale, session, {} if cache is None else cache)
    done: tuple = (design,)
    for mode, (x, y) in edits.taps:
        q = (min(work[0] - 1, int(x * scale)), min(work[1] - 1, int(y * scale)))
        done += ((mode, q),)
        if (
            memo is not None and done in memo
        ):  # decided before: every tap is decided from the ones before it alone
            target = memo[done].copy()
        elif mode == "keep":
            target = tapper.keep(target, q)
        else:
            target = tapper.remove(target, q)
        if memo is not None:
            memo[done] = target.copy()
        tapper.taps[mode].append(q)
    changed = (target > 0.5) != before
    return Plan((width, height), target, changed, edits.strokes, hold=tapper.HOLDS)
