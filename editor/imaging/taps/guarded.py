"""Today's tap rules (crops.py), held to issue 18's guarantees.

The crops design reads a tap best on the tune sets, but some of its readings
destroy a mask (a remove-tap that took a whole dancer). Here its answer is
held to what a tap may do, whatever rule gave it:

- a keep-tap only adds and a remove-tap only removes;
- the spots of earlier taps of the other kind stay as those taps left them;
- one remove-tap takes at most a separate piece of the mask whole, or at most
  MAX_REMOVED of the subject (its largest piece); a reading that takes more is
  dropped for the objects design's, which keeps the same bounds.
"""

from __future__ import annotations

import numpy as np

from . import crops, objects


class Tapper:
    HOLDS = True  # painting flips only what the taps changed, so the guarantees hold there too

    def __init__(self, pixels, small, scale, session, cache):
        self.rules = crops.Tapper(pixels, small, scale, session, cache)
        self.bounds = objects.Tapper(pixels, small, scale, session, cache)
        self.taps: dict[str, list[tuple[int, int]]] = {"keep": [], "remove": []}
        self.rules.taps = self.bounds.taps = self.taps  # one record of the taps for both

    def keep(self, target: np.ndarray, q: tuple[int, int]) -> np.ndarray:
        return self._held(target, q, "keep")

    def remove(self, target: np.ndarray, q: tuple[int, int]) -> np.ndarray:
        return self._held(target, q, "remove")

    def _held(self, target: np.ndarray, q: tuple[int, int], mode: str) -> np.ndarray:
        before = target.copy()
        hard = before > 0.5
        read = getattr(self.rules, mode)(target.copy(), q)
        held = np.maximum(read, before) if mode == "keep" else np.minimum(read, before)
        guarded = self.bounds.guarded_spots(hard.shape, mode, q)
        held[guarded] = before[guarded]
        if mode == "remove":
            taken = int((hard & (held <= 0.5)).sum())
            if taken > self.bounds.removable(hard, q):
                return self.bounds.remove(before, q)
        return held
