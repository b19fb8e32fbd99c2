"""How good a mask or a picture is, against a known answer. Used by the quality report.

Mask figures follow the salient-object literature so they compare with published
ones: MAE, max F-measure with β² = 0.3 over 256 thresholds, and a boundary
F-measure that counts outline pixels lying within a small tolerance of the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

BETA2 = 0.3  # weighs precision over recall, as the saliency benchmarks do
LEVELS = 256  # thresholds 0/255 … 255/255


def mae(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean absolute difference of two 0..1 masks."""
    return float(np.abs(pred.astype(np.float32) - truth.astype(np.float32)).mean())


def pr_counts(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """True and false positives at every threshold, and the number of truth pixels.

    One histogram per class and a reversed cumulative sum give all 256
    thresholds in one pass instead of 256 comparisons.
    """
    levels = np.clip(pred * (LEVELS - 1) + 0.5, 0, LEVELS - 1).astype(np.int32)
    inside = truth > 0.5
    hits = np.bincount(levels[inside], minlength=LEVELS)[::-1].cumsum()[::-1]
    misses = np.bincount(levels[~inside], minlength=LEVELS)[::-1].cumsum()[::-1]
    return hits, misses, int(inside.sum())


def f_measure(precision: np.ndarray | float, recall: np.ndarray | float) -> np.ndarray:
    p, r = np.asarray(precision, np.float64), np.asarray(recall, np.float64)
    return (1 + BETA2) * p * r / np.maximum(BETA2 * p + r, 1e-12)


def outline(mask: np.ndarray) -> np.ndarray:
    """The one-pixel inner border of a binary mask."""
    binary = mask.astype(np.uint8)
    return (binary - cv2.erode(binary, np.ones((3, 3), np.uint8))).astype(bool)


def boundary_f(pred: np.ndarray, truth: np.ndarray, tolerance: int = 2) -> float:
    """F1 of outline pixels: a predicted outline pixel counts when a true one is near.

    "Near" is within a (2·tolerance + 1)² square, the usual dilation-based
    reading; with it the plain upscale reproduces rembg's published figures.
    """
    mine, theirs = outline(pred > 0.5), outline(truth > 0.5)
    if not mine.any() or not theirs.any():
        return float(mine.any() == theirs.any())
    precision = float(_near(theirs, tolerance)[mine].mean())
    recall = float(_near(mine, tolerance)[theirs].mean())
    return 2 * precision * recall / max(precision + recall, 1e-12)


def _near(pixels: np.ndarray, tolerance: int) -> np.ndarray:
    square = np.ones((2 * tolerance + 1, 2 * tolerance + 1), np.uint8)
    return cv2.dilate(pixels.astype(np.uint8), square).astype(bool)


def _distance_to(pixels: np.ndarray) -> np.ndarray:
    return cv2.distanceTransform((~pixels).astype(np.uint8), cv2.DIST_L2, 5)


@dataclass
class MaskScores:
    """Running totals over a data set; max F is taken from the mean P/R curve."""

    maes: list[float] = field(default_factory=list)
    boundaries: list[float] = field(default_factory=list)
    precisions: list[np.ndarray] = field(default_factory=list)
    recalls: list[np.ndarray] = field(default_factory=list)

    def add(self, pred: np.ndarray, truth: np.ndarray) -> None:
        self.maes.append(mae(pred, truth))
        self.boundaries.append(boundary_f(pred, truth))
        hits, misses, positives = pr_counts(pred, truth)
        self.precisions.append(hits / np.maximum(hits + misses, 1))
        self.recalls.append(hits / max(positives, 1))

    @property
    def mae(self) -> float:
        return float(np.mean(self.maes))

    @property
    def max_f(self) -> float:
        curve = f_measure(np.mean(self.precisions, axis=0), np.mean(self.recalls, axis=0))
        return float(curve.max())

    @property
    def boundary_f(self) -> float:
        return float(np.mean(self.boundaries))


def band(alpha: np.ndarray, width: float) -> np.ndarray:
    """Pixels within `width` of the subject's outline (the alpha = 0.5 contour), both sides."""
    edge = outline(alpha > 0.5)
    return _distance_to(edge) <= width


def band_error(image: np.ndarray, ideal: np.ndarray, where: np.ndarray) -> float:
    """Mean absolute colour error, in 0..255 levels, over the selected pixels."""
    diff = np.abs(image.astype(np.float32) - ideal.astype(np.float32)).mean(axis=-1)
    return float(diff[where].mean())
