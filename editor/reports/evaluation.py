"""The quality report's measurements: ours against the reference method, in one run.

Pure Python like the pipeline (no Django), so it can be run or tested alone;
`manage.py quality` only prints what these return.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from editor.imaging import effects, foreground, refine, segment
from editor.reports import metrics

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

# Real photos with a clear subject, each composited over the next one's picture.
COMPOSITE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera")
NEW_BACKGROUND = (40, 200, 90)  # a saturated green makes any fringe of the old colours show


@dataclass(frozen=True)
class Figure:
    name: str
    ours: float
    reference: float
    unit: str = ""


def mask_figures(
    eval_dir: Path, dataset: str, saliency: Callable[[np.ndarray, str], np.ndarray]
) -> list[Figure]:
    """MAE, max F and boundary F of the refined mask against the plain upscale."""
    ours, plain = metrics.MaskScores(), metrics.MaskScores()
    for rgb, truth, name in _pairs(eval_dir / dataset):
        soft = saliency(rgb, name)
        ours.add(refine.refine(rgb, soft), truth)
        plain.add(segment.upscale(soft, rgb.shape), truth)
    return [
        Figure(f"{dataset} MAE", ours.mae, plain.mae),
        Figure(f"{dataset} max F", ours.max_f, plain.max_f),
        Figure(f"{dataset} boundary F (2 px)", ours.boundary_f, plain.boundary_f),
    ]


def composites(model: InferenceSession) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(foreground, alpha, background) triples with a known answer.

    The alpha is our own refined mask of a real photo, so it is soft where real
    masks are soft; the foreground is that photo's subject, its colours carried
    outwards from the solid inside (a real edge pixel already mixes in its old
    background, so it cannot serve as a known answer); another photo is the background.
    """
    from skimage import data  # a test dependency: the report needs it, the site does not

    photos = [_colour(getattr(data, name)()) for name in COMPOSITE_PHOTOS]
    for i, fg in enumerate(photos):
        back = photos[(i + 1) % len(photos)]
        back = cv2.resize(back, (fg.shape[1], fg.shape[0]), interpolation=cv2.INTER_AREA)
        alpha = refine.refine(fg, segment.saliency(fg, model))
        yield _extend(fg, alpha > 0.98), alpha, back


def halo_figures(triples: list, strength: float = effects.DEFAULT_STRENGTH) -> list[Figure]:
    """Colour error near the outline against the ideal fg·α + blur(bg)·(1 − α).

    Twice: as `portrait` runs (estimated edge colours), and with the photo's
    own colours at the edge, to show what the subject-free blur alone gains.
    """
    ours, photo_colours, plain = [], [], []
    for fg, alpha, back in triples:
        photo = _mix(fg, alpha, back)
        sigma = effects.blur_sigma(photo.shape, strength)
        ideal = _mix(fg, alpha, effects.gaussian_blur(back, sigma))
        near = metrics.band(alpha, 2 * sigma)

        def error(image: np.ndarray) -> float:
            return metrics.band_error(image, ideal, near)  # noqa: B023 (used at once)

        ours.append(error(effects.portrait(photo, alpha, strength)))
        photo_colours.append(error(effects.portrait(photo, alpha, strength, fg=photo)))
        plain.append(error(effects.plain_portrait(photo, alpha, strength)))
    return [
        Figure("halo band error (portrait)", np.mean(ours), np.mean(plain), " levels"),
        Figure(
            "halo band error (portrait, photo colours at the edge)",
            np.mean(photo_colours),
            np.mean(plain),
            " levels",
        ),
    ]


def fringe_figure(triples: list) -> Figure:
    """Edge colour error of a cutout put on a new background: estimated fg vs raw photo."""
    ours, plain = [], []
    for fg, alpha, back in triples:
        photo = _mix(fg, alpha, back)
        ideal = effects.on_colour(fg, alpha, NEW_BACKGROUND)
        edge = (alpha > 0.05) & (alpha < 0.95)
        estimated = foreground.estimate(photo, alpha)
        ours.append(
            metrics.band_error(effects.on_colour(estimated, alpha, NEW_BACKGROUND), ideal, edge)
        )
        plain.append(
            metrics.band_error(effects.on_colour(photo, alpha, NEW_BACKGROUND), ideal, edge)
        )
    return Figure("fringe error (cutout on a new colour)", np.mean(ours), np.mean(plain), " levels")


def timing_figures(rgb: np.ndarray, soft: np.ndarray) -> list[Figure]:
    """Seconds on one photo (meant for 12 MP), median of three, each against the plain method."""
    mask = refine.refine(rgb, soft)
    fg = foreground.estimate(rgb, mask)
    rows = [
        ("refine vs plain upscale", lambda: refine.refine(rgb, soft),
         lambda: segment.upscale(soft, rgb.shape)),
        ("foreground estimate vs none", lambda: foreground.estimate(rgb, mask), lambda: rgb),
        ("portrait first render (estimates fg) vs plain blend",
         lambda: effects.portrait(rgb, mask), lambda: effects.plain_portrait(rgb, mask)),
        ("portrait re-render vs plain blend", lambda: effects.portrait(rgb, mask, fg=fg),
         lambda: effects.plain_portrait(rgb, mask)),
        ("portrait lens re-render vs plain blend",
         lambda: effects.portrait(rgb, mask, style="lens", fg=fg),
         lambda: effects.plain_portrait(rgb, mask)),
        ("cutout re-render vs raw cutout", lambda: effects.cutout(fg, mask),
         lambda: effects.cutout(rgb, mask)),
        ("on colour re-render vs raw colours",
         lambda: effects.on_colour(fg, mask, NEW_BACKGROUND),
         lambda: effects.on_colour(rgb, mask, NEW_BACKGROUND)),
    ]  # fmt: skip
    return [
        Figure(f"12 MP {name}", _seconds(ours), _seconds(ref), " s") for name, ours, ref in rows
    ]


def _seconds(work: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _pairs(folder: Path) -> Iterator[tuple[np.ndarray, np.ndarray, str]]:
    for path in sorted((folder / "images").glob("*.jpg")):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        truth = cv2.imread(str(folder / "masks" / f"{path.stem}.png"), cv2.IMREAD_GRAYSCALE)
        yield rgb, truth.astype(np.float32) / 255, path.stem


def _extend(photo: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Every pixel takes the colour of the nearest pixel inside."""
    _, labels = cv2.distanceTransformWithLabels(
        (~inside).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    # Labels number the inside pixels in raster order, the order boolean indexing uses.
    return photo[inside][labels - 1]


def _colour(image: np.ndarray) -> np.ndarray:
    return np.dstack([image] * 3) if image.ndim == 2 else image[..., :3]


def _mix(fg: np.ndarray, alpha: np.ndarray, back: np.ndarray) -> np.ndarray:
    a = alpha[..., np.newaxis]
    return np.clip(fg * a + back * (1.0 - a) + 0.5, 0, 255).astype(np.uint8)
