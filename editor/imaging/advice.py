"""Warn a visitor, on their own photo, when the effect is likely to look fake or fail.

Each detector is a small pure function of the measurements in `measure.py`. The
thresholds were set on the 80 evaluation photos of ../shared/eval (ECSSD and DAVIS)
with the plain U-2-Net mask (`segment.predict`), looking at every photo to decide
which warnings it deserves; the figures quoted below come from
`python manage.py advice_report --eval ../shared/eval`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from . import measure, segment
from .measure import View


@dataclass(frozen=True)
class Advice:
    code: str
    message: str
    section: str  # guide section, relative to /guide/
    hidden_with: tuple[str, ...] = ()  # blur styles under which the warning is no longer true
    where: tuple[int, int] | None = None  # a spot to look at, in pixels of the upright photo


ADVICE = {
    a.code: a
    for a in (
        Advice(
            "no_subject",
            "We could not find one clear subject in this photo. "
            "Photos with a single person, animal or object in front of a background work best.",
            "tips/#clear-subject",
        ),
        Advice(
            "several_subjects",
            "We found more than one subject. They will all stay sharp, "
            "as if they stood at the same distance from the camera.",
            "when-it-looks-fake/#several-subjects",
        ),
        Advice(
            "touching_background",
            "The subject seems to touch or merge with things behind it, "
            "so part of the background may stay sharp or part of the subject may blur.",
            "when-it-looks-fake/#touching-the-background",
        ),
        Advice(
            "thin_edges",
            "The subject has fine or see-through edges, such as hair or fur. "
            "Some of that detail may be lost at the outline.",
            "when-it-looks-fake/#thin-edges",
        ),
        Advice(
            "already_shallow",
            "The background is already out of focus. Blurring it again can look strange.",
            "when-it-looks-fake/#already-blurred",
        ),
        Advice(
            "point_lights",
            "There are small bright lights in the background. "
            "Our soft blur smears them into haze; the lens style turns them into round glows.",
            "when-it-looks-fake/#point-lights",
            hidden_with=("lens",),
        ),
        Advice(
            "subject_not_sharpest",
            "The background looks sharper than the subject. "
            "The effect works best when the subject is the sharpest part of the photo.",
            "tips/#sharp-source",
        ),
        Advice(
            "camouflage",
            "The subject's colours are close to the background's, "
            "so the cut-out edge may be uneven.",
            "tips/#camouflage",
        ),
        Advice(
            "small_subject",
            "The subject is small in the frame. "
            "Cropping closer before uploading gives a cleaner edge.",
            "tips/#crop-tight",
        ),
        Advice(
            "check_outline",
            "Part of the outline may be wrong: seen closer, the subject looks different "
            "around the marked spot. Under “Fix the mask”, tap there to keep or remove it.",
            "when-it-looks-fake/#touching-the-background",
        ),
    )
}


def no_subject(v: View) -> bool:
    """Almost nothing or almost everything is subject.

    The smallest eval subject covers 1.4% of the frame, the largest 49%; under 0.5% is a
    speck (the map is min-max normalised, so some pixel always wins), and over 90% leaves
    no background to work on.
    """
    return not 0.005 <= measure.coverage(v) <= 0.9


def several_subjects(v: View) -> bool:
    """Two or more separate pieces, each at least 1% of the frame and 20% of the largest.

    On the eval set the second piece is either tiny (at most 0.3% of the frame: stray
    specks, a hand) or large (2.8% to 11%: two antelopes, two penguins, a man and his
    bags, two windows), so the cut sits in the empty gap between.
    """
    pieces = measure.piece_sizes(v)
    return len(pieces) >= 2 and pieces[1] >= max(0.01, 0.2 * pieces[0])


def touching_background(v: View) -> bool:
    """A wide half-sure area joined to the subject, or the frame cutting it on 3+ sides.

    Wide undecided areas (11 px opening at 512 px) joined to the subject reach about
    0.24 to 1.1 times the subject's area on exactly the photos where it merges with its
    surroundings (koala on its tree, girl among chairs, a bench in leaves, a tiger in
    grass, a dancer before a crowd) and stay under 0.18 elsewhere. No eval subject is
    cut by three sides; a close-up that is has no outline left to separate.
    """
    return measure.undecided_joined(v) >= 0.2 or measure.sides_cut(v) >= 3


def thin_edges(v: View) -> bool:
    """The half-sure band along the outline averages at least 2.15 px at 512 px.

    Crisp outlines (cars, signs, a swan) measure 1.1 to 1.8 px; the six widest eval
    outlines, 2.16 to 2.56 px, are a gorilla's and a wolf's fur, cactus spines, a
    bee's legs, glass salt shakers and bicycle spokes. Measured on the plain network
    mask: a refined mask changes edge widths, so re-run advice_report before using one.
    """
    return measure.edge_band(v) >= 2.15


def already_shallow(v: View) -> bool:
    """The background has shapes but almost no fine detail, clearly less than the subject.

    Background crispness (fine detail per coarse structure) is 0.04 to 0.09 on the
    five eval photos shot with a blurred background (two poppies, salt shakers, a
    wooden shaker, a racing car panned against the grass) and 0.12 or more on the rest;
    the subject must be at least 1/0.7 times crisper, so a photo soft all over is
    left alone.
    """
    subject, background = measure.crispness(v)
    if subject is None or background is None:
        return False
    return background < 0.1 and background < 0.7 * subject


def subject_not_sharpest(v: View) -> bool:
    """The sharpest detail behind the subject is at least 2.2 times the subject's own.

    The 99th percentile of fine detail, background over subject, is 2.6 for the
    running dog in motion blur, 2.3 for a calf before over-sharpened grass and 3.5 for
    a soft studio portrait before a crisp wire grid; the other 77 sit between 0.2 and
    2.1. Textured backgrounds behind smooth subjects (a plain dress before leaves,
    2.1) come close, hence no lower threshold.
    """
    subject, background = measure.sharpest_detail(v)
    if subject is None or background is None:
        return False
    return background >= 2.2 * max(subject, 1e-3)


def point_lights(v: View) -> bool:
    """Five or more small near-white spots on a dark surround, outside the subject.

    No eval photo has more than one such spot (one in a daylight crowd; the night
    lantern scene's lights are large and coloured); a string of fairy lights or a
    night street has dozens.
    """
    return measure.point_lights(v) >= 5


def camouflage(v: View) -> bool:
    """Colours just inside and just outside the outline overlap by at least 65%.

    The overlap of Lab histograms is 0.65 to 0.77 for a stone head among stones, a
    gorilla on brown earth, penguins on grey rock, a wooden shaker on wood; most eval
    photos sit between 0.05 and 0.5.
    """
    return measure.colour_overlap(v) >= 0.65


def small_subject(v: View) -> bool:
    """The subject covers less than 3% of the frame.

    That is the far cyclist, the drifting car, a reindeer in heather and a small flower
    (1.4% to 2.9%); the next smallest, a tiger and a hiker, cover 4% to 5% and mask well.
    """
    return measure.coverage(v) < 0.03


Detector = Callable[[View], bool]
# In the order a visitor should read them: the most damaging problem first.
PORTRAIT: list[Detector] = [
    several_subjects,
    touching_background,
    subject_not_sharpest,
    already_shallow,
    point_lights,
    thin_edges,
    small_subject,
]
CUTOUT: list[Detector] = [
    several_subjects,
    touching_background,
    camouflage,
    thin_edges,
    subject_not_sharpest,
    small_subject,
]


def advise(rgb: np.ndarray, mask: np.ndarray, tool: str, style: str = "") -> list[Advice]:
    """Warnings for this photo and mask, most important first; empty when all looks well.

    `mask` is the network's plain full-resolution mask (`segment.predict`): the
    thresholds were measured on it. With a blur `style`, warnings that style
    makes untrue are left out (callers that store advice keep them, see `hidden_with`).
    """
    if tool not in ("portrait", "cutout"):
        raise ValueError(f"unknown tool {tool!r}")
    v = measure.view(rgb, mask)
    if no_subject(v):
        return [ADVICE["no_subject"]]  # every other detector needs a subject to measure
    detectors = PORTRAIT if tool == "portrait" else CUTOUT
    found = [ADVICE[d.__name__] for d in detectors if d(v)]
    return [a for a in found if style not in a.hidden_with]


# A second look: the network again, on a crop around the subject.
SECOND_LOOK_SHARE = 0.05  # of the subject's area; see second_look()


def second_look(rgb: np.ndarray, mask: np.ndarray, model) -> Advice | None:
    """Point at the largest place where U-2-Net, shown the subject closer up, disagrees.

    The crop is the subject's bounding square, 1.4 times as wide. On ../shared/eval
    (`manage.py clicks` prints it) the largest disagreement reaches 5% of the
    subject's area on most masks under IoU 0.8 and on few good ones: a head or a
    body left out, a second animal or a pole kept. Costs one network run.
    """
    v = measure.view(rgb, mask)
    ys, xs = np.nonzero(v.subject)
    if len(ys) == 0:
        return None
    height, width = v.subject.shape
    side = round(min(max(1.4 * max(np.ptp(ys), np.ptp(xs)), 64), height, width))
    x0 = int(min(max(0, (xs.min() + xs.max() - side) / 2), width - side))
    y0 = int(min(max(0, (ys.min() + ys.max() - side) / 2), height - side))
    scale = rgb.shape[1] / width
    crop = rgb[
        round(y0 * scale) : round((y0 + side) * scale),
        round(x0 * scale) : round((x0 + side) * scale),
    ]
    seen = cv2.resize(segment.saliency(crop, model), (side, side)) > 0.5
    apart = seen ^ v.subject[y0 : y0 + side, x0 : x0 + side]
    apart = cv2.morphologyEx(apart.astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(apart, connectivity=8)
    if count < 2:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[biggest, cv2.CC_STAT_AREA] < SECOND_LOOK_SHARE * v.subject.sum():
        return None
    depth = cv2.distanceTransform((labels == biggest).astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    where = (round((x0 + x + 0.5) * scale), round((y0 + y + 0.5) * scale))
    where = (min(where[0], rgb.shape[1] - 1), min(where[1], rgb.shape[0] - 1))
    return dataclasses.replace(ADVICE["check_outline"], where=where)
