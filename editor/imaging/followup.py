"""Which of the advisor's warnings still hold once the visitor has edited the mask.

A warning about one spot (`where`) stays until the edits change the mask around
that spot: fixing something else does not make it true. A warning about the
photo as a whole (no spot) stays while the advisor, asked again about the
edited mask, still gives it. Both are judged against the analysis's own
warnings each time, so undoing an edit brings its warnings back.
"""

from __future__ import annotations

import numpy as np

REACH = 0.06  # share of the longer side: how far around a spot an edit counts as "there"
CHANGED = 0.02  # share of that square the edits must flip for the spot to count as changed


def still_true(
    warnings: list[dict],
    before: np.ndarray,
    after: np.ndarray,
    *,
    scale: float,
    fresh_codes: set[str],
) -> list[dict]:
    """The analysis's `warnings` that hold for the mask `after` (edited), given `before`
    (the same mask unedited, same size). `scale` maps photo pixels to the masks' pixels;
    `fresh_codes` are the codes the advisor gives for the edited mask."""
    flipped = (before > 0.5) != (after > 0.5)
    height, width = flipped.shape
    reach = max(2, round(REACH * max(height, width)))
    kept = []
    for warning in warnings:
        where = warning.get("where")
        if where is None:
            if warning["code"] in fresh_codes:
                kept.append(warning)
            continue
        x = min(width - 1, max(0, round(where[0] * scale)))
        y = min(height - 1, max(0, round(where[1] * scale)))
        around = flipped[max(0, y - reach) : y + reach + 1, max(0, x - reach) : x + reach + 1]
        if around.mean() < CHANGED:
            kept.append(warning)
    return kept
