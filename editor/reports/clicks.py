"""The simulated-click protocol of interactive segmentation (RITM's clicker), run on our taps.

Start from the mask the site makes with no taps: that mask counts as click 1,
as the network's answer is the visitor's first "click". Each next click goes
at the deepest point (the distance-transform maximum) of the false-negative
or the false-positive area, whichever point is deeper: a keep-tap where the
subject was missed, a remove-tap where background was kept. Pixels clicked
before are never chosen again. Every click is added to the edits and the
whole list applied again, as a job does.

As in RITM's evaluation, a photo stops once its IoU reaches STOP_AT (after at
least MIN_CLICKS taps, so the IoU after 1, 3 and 5 taps is always measured):
its NoC is known by then, and 2 shared cores cannot afford the rest. Pure
Python; `manage.py clicks` prints what this returns.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from editor.imaging import edits, taps

MAX_CLICKS = 20  # NoC is capped here, the first mask included
MIN_CLICKS = 5  # taps always run, so "IoU after 5" is a real measure
STOP_AT = 0.9  # the highest goal reported
SHOWN = (0, 1, 3, 5)  # taps after which the mean IoU is printed
GOALS = (0.85, 0.9)


@dataclass
class Run:
    """One photo's IoU after 0, 1, 2, ... taps, and the seconds each tap took."""

    name: str
    ious: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def noc(self, goal: float) -> int:
        """Clicks to reach `goal`, the first mask being click 1, MAX_CLICKS if never."""
        reached = next((k for k, iou in enumerate(self.ious) if iou >= goal), None)
        return MAX_CLICKS if reached is None else min(MAX_CLICKS, reached + 1)

    def after(self, taps_: int) -> float:
        """The IoU after `taps_` taps; a photo that stopped early keeps its last IoU."""
        return self.ious[min(taps_, len(self.ious) - 1)]


def iou(mask: np.ndarray, truth: np.ndarray) -> float:
    pred = mask > 0.5
    union = (pred | truth).sum()
    return float((pred & truth).sum() / union) if union else 1.0


def next_click(
    mask: np.ndarray, truth: np.ndarray, clicked: np.ndarray | None = None
) -> tuple[str, tuple[int, int]] | None:
    """RITM's next click: ("keep" | "remove", (x, y)) at the deepest point of the missed
    or the wrongly kept area, whichever is deeper; None when nothing is wrong."""
    pred = mask > 0.5
    allowed = np.ones_like(pred) if clicked is None else ~clicked
    best = None
    for mode, error in (("keep", truth & ~pred), ("remove", pred & ~truth)):
        # Padding makes the photo's own border count as the area's border, as in RITM.
        padded = np.pad((error & allowed).astype(np.uint8), 1)
        depth = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
        if depth[y, x] > 0 and (best is None or depth[y, x] > best[0]):
            best = (float(depth[y, x]), mode, (int(x), int(y)))
    return None if best is None else best[1:]


def simulate(
    rgb: np.ndarray,
    truth: np.ndarray,
    mask: np.ndarray,
    *,
    session,
    cache: MutableMapping | None = None,
    name: str = "",
    design: str = taps.DESIGN,
) -> Run:
    run = Run(name, [iou(mask, truth)])
    done = edits.Edits()
    current = mask
    clicked = np.zeros(truth.shape, bool)
    memo: dict = {}  # each click then decides only the new tap, not all of them again
    for count in range(1, MAX_CLICKS):
        click = next_click(current, truth, clicked)
        if click is None:
            break
        mode, (x, y) = click
        clicked[y, x] = True
        tap = edits.Batch(keep=((x, y),)) if mode == "keep" else edits.Batch(remove=((x, y),))
        done = done.then(tap)
        start = time.perf_counter()
        current = taps.apply(
            rgb, mask, done, session=session, cache=cache, design=design, memo=memo
        )
        run.seconds.append(time.perf_counter() - start)
        run.ious.append(iou(current, truth))
        if count >= MIN_CLICKS and run.ious[-1] >= STOP_AT:
            break
    return run


@dataclass(frozen=True)
class Summary:
    dataset: str
    design: str
    photos: int
    mean_iou: dict[int, float]  # after k taps
    noc: dict[float, float]  # mean clicks to each goal, the first mask being click 1
    never_90: int  # photos that never reach IoU 0.9
    worse_at_5: int  # photos whose IoU after 5 taps is below their IoU with none
    worse_at_end: int  # the same after their last tap
    seconds_per_tap: float


def summarise(dataset: str, design: str, runs: list[Run]) -> Summary:
    seconds = [s for r in runs for s in r.seconds]
    return Summary(
        dataset,
        design,
        len(runs),
        {k: float(np.mean([r.after(k) for r in runs])) for k in SHOWN},
        {goal: float(np.mean([r.noc(goal) for r in runs])) for goal in GOALS},
        sum(max(r.ious) < 0.9 for r in runs),
        sum(r.after(5) < r.ious[0] - 1e-6 for r in runs),
        sum(r.ious[-1] < r.ious[0] - 1e-6 for r in runs),
        float(np.mean(seconds)) if seconds else 0.0,
    )


class DiskCache(MutableMapping):
    """The network's maps of crops, kept as .npy files so a second run skips the network."""

    def __init__(self, folder: Path, prefix: str):
        self.folder, self.prefix = folder, prefix
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, box) -> Path:
        return self.folder / f"{self.prefix}__{'_'.join(map(str, box))}.npy"

    def __getitem__(self, box):
        path = self._path(box)
        if not path.is_file():
            raise KeyError(box)
        return np.load(path)

    def __setitem__(self, box, value) -> None:
        np.save(self._path(box), value)

    def __contains__(self, box) -> bool:
        return self._path(box).is_file()

    def __delitem__(self, box) -> None:
        self._path(box).unlink()

    def __iter__(self) -> Iterator:
        return iter(())

    def __len__(self) -> int:
        return 0
