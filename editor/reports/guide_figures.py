"""The guide's figures: real photos through our own pipeline, laid out as labelled panels.

The photos are the public samples shipped inside scikit-image (no download), and
composites built from them; the templates say which ones were constructed. Each
figure is a function returning its panels, so the command can make one or all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from PIL import Image, ImageDraw, ImageFont
from skimage import data

from editor.imaging import effects, foreground, refine, segment

WIDTH = 900  # the guide's column is narrower; this keeps figures sharp on dense screens
GAP = 6
QUALITY = 82
Panel = tuple[str, np.ndarray]  # label drawn on the panel, RGB uint8 pixels
Rows = list[list[Panel]]  # a figure: one or more rows of panels, each row as wide as the figure


class Maker:
    """Runs the pipeline on the figures' photos, remembering each photo's mask."""

    def __init__(self, model: ort.InferenceSession):
        self.model = model
        self._masks: dict[str, np.ndarray] = {}

    def mask(self, rgb: np.ndarray, key: str | None = None) -> np.ndarray:
        if key is None:
            return refine.refine(rgb, segment.saliency(rgb, self.model))
        if key not in self._masks:
            self._masks[key] = refine.refine(rgb, segment.saliency(rgb, self.model))
        return self._masks[key]

    def three(self, rgb: np.ndarray, key: str | None = None) -> list[Panel]:
        """The usual figure: the photo, the mask the network found, the portrait."""
        mask = self.mask(rgb, key)
        return [
            ("Photo", rgb),
            ("Mask", gray(mask)),
            ("Portrait mode", effects.portrait(rgb, mask)),
        ]


# --- source photos ---------------------------------------------------------------


@functools.cache
def photo(name: str) -> np.ndarray:
    """A scikit-image sample as RGB uint8 (grey photos get three equal channels)."""
    pixels = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    if pixels.ndim == 2:
        pixels = np.dstack([pixels] * 3)
    pixels = pixels[..., :3]
    pixels.setflags(write=False)
    return pixels


def gray(mask: np.ndarray) -> np.ndarray:
    return np.dstack([np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8)] * 3)


def paste(subject: np.ndarray, mask: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Put a subject over a new background through its soft mask (for constructed photos)."""
    alpha = mask[..., np.newaxis]
    return np.clip(subject * alpha + background * (1.0 - alpha) + 0.5, 0, 255).astype(np.uint8)


def mottled(shape: tuple[int, ...], colour: np.ndarray, seed: int, spread: float) -> np.ndarray:
    """A plain backdrop with soft blotches, like a painted studio wall."""
    noise = np.random.default_rng(seed).normal(0.0, spread, shape[:2]).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), 6) * 4
    return np.clip(colour.astype(np.float32) + noise[..., np.newaxis], 0, 255)


def checker(rgba: np.ndarray, square: int = 16) -> np.ndarray:
    """A cutout over the grey checkerboard that editors use to show transparency."""
    height, width = rgba.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    board = np.where(((yy // square + xx // square) % 2)[..., np.newaxis] == 0, 255, 214)
    return paste(rgba[..., :3], rgba[..., 3] / 255.0, board.astype(np.float32))


def crop(panels: list[Panel], top: int, left: int, size: int) -> list[Panel]:
    """The same square taken out of every panel, to look closely at an edge."""
    return [(label, pixels[top : top + size, left : left + size]) for label, pixels in panels]


# --- the figures -----------------------------------------------------------------


def astronaut_portrait(m: Maker) -> Rows:
    return [m.three(photo("astronaut"), "astronaut")]


def blend_steps(m: Maker) -> Rows:
    rgb = photo("astronaut")
    mask = m.mask(rgb, "astronaut")
    blurred = effects.background(rgb, mask)  # the subject is taken out before blurring
    panels = [("Photo", rgb), ("Blurred background", blurred), ("Mask", gray(mask))]
    panels.append(("Blend", effects.portrait(rgb, mask)))
    return [crop(panels, 0, 40, 300)]


def astronaut_cutout(m: Maker) -> Rows:
    rgb = photo("astronaut")
    mask = m.mask(rgb, "astronaut")
    return [
        [
            ("Photo", rgb),
            ("Mask", gray(mask)),
            ("Cutout", checker(effects.cutout(foreground.estimate(rgb, mask), mask))),
        ]
    ]


def held_object(m: Maker) -> Rows:
    return [crop(m.three(photo("camera"), "camera"), 0, 150, 300)]


def several_subjects_good(m: Maker) -> Rows:
    return [m.three(photo("motorcycle"), "motorcycle")]


def several_subjects_bad(m: Maker) -> Rows:
    # two photos side by side are wide, so the photo gets a row of its own
    photo_panel, *rest = m.three(np.hstack([photo("astronaut"), photo("camera")]))
    return [[photo_panel], rest]


def touching_good(m: Maker) -> Rows:
    return [m.three(photo("coffee"))]


def touching_bad(m: Maker) -> Rows:
    return [crop(m.three(photo("camera"), "camera"), 312, 180, 200)]


def thin_edges_good(m: Maker) -> Rows:
    return [crop(m.three(photo("astronaut"), "astronaut"), 0, 100, 230)]


def thin_edges_bad(m: Maker) -> Rows:
    return [crop(m.three(photo("chelsea"), "chelsea"), 140, 0, 160)]


def already_blurred_bad(m: Maker) -> Rows:
    return [m.three(photo("chelsea"), "chelsea")]


def point_lights_good(m: Maker) -> Rows:
    return [crop(m.three(photo("rocket"), "rocket"), 0, 0, 200)]


def point_lights_bad(m: Maker) -> Rows:
    rgb = photo("rocket")
    mask = m.mask(rgb, "rocket")
    panels = [("Photo", rgb), ("Soft blur", effects.portrait(rgb, mask))]
    lens = effects.portrait(rgb, mask, style="lens")
    return [crop([*panels, ("Lens style", lens)], 247, 60, 180)]


def sharp_source_bad(m: Maker) -> Rows:
    return [m.three(cv2.GaussianBlur(photo("astronaut"), (0, 0), 3))]


def separation_good(m: Maker) -> Rows:
    return [crop(m.three(photo("camera"), "camera"), 10, 0, 250)]


def separation_bad(m: Maker) -> Rows:
    return [crop(m.three(photo("motorcycle"), "motorcycle"), 40, 180, 260)]


def camouflage_good(m: Maker) -> Rows:
    rgb = photo("astronaut")
    suit = np.median(rgb[350:450, 60:200].reshape(-1, 3), axis=0)
    return [m.three(paste(rgb, m.mask(rgb, "astronaut"), mottled(rgb.shape, suit, 1, 25)))]


def camouflage_bad(m: Maker) -> Rows:
    rgb = photo("chelsea")
    fur = rgb[0:80, 180:300]  # forehead fur, no eyes
    tiles = np.tile(fur, (rgb.shape[0] // 80 + 1, rgb.shape[1] // 120 + 1, 1))
    background = tiles[: rgb.shape[0], : rgb.shape[1]].astype(np.float32)
    return [m.three(paste(rgb, m.mask(rgb, "chelsea"), background))]


def _small_in_large(m: Maker) -> tuple[np.ndarray, tuple[int, int]]:
    """The astronaut shrunk to 240 px and set in a 3000×2000 lawn made from a grass texture."""
    rgb = photo("astronaut")
    lawn = np.tile(photo("grass"), (4, 6, 1))[:2000, :3000] * np.array([0.6, 0.9, 0.5])
    small = cv2.resize(rgb, (240, 240), interpolation=cv2.INTER_AREA)
    small_mask = cv2.resize(m.mask(rgb, "astronaut"), (240, 240), interpolation=cv2.INTER_AREA)
    top, left = 1500, 1300
    lawn[top : top + 240, left : left + 240] = paste(
        small, small_mask, lawn[top : top + 240, left : left + 240]
    )
    return lawn.astype(np.uint8), (top - 60, left - 60)


def crop_tight_bad(m: Maker) -> Rows:
    frame, (top, left) = _small_in_large(m)
    panels = m.three(frame)
    whole = ("Whole photo", cv2.resize(frame, (540, 360), interpolation=cv2.INTER_AREA))
    return [[whole, *crop(panels[1:], top, left, 360)]]


def crop_tight_good(m: Maker) -> Rows:
    frame, (top, left) = _small_in_large(m)
    return [m.three(frame[top : top + 360, left : left + 360])]


def clear_subject_bad(m: Maker) -> Rows:
    return [m.three(photo("brick"))]


FIGURES: dict[str, Callable[[Maker], Rows]] = {
    "astronaut-portrait": astronaut_portrait,
    "blend-steps": blend_steps,
    "astronaut-cutout": astronaut_cutout,
    "held-object": held_object,
    "several-subjects-good": several_subjects_good,
    "several-subjects-bad": several_subjects_bad,
    "touching-good": touching_good,
    "touching-bad": touching_bad,
    "thin-edges-good": thin_edges_good,
    "thin-edges-bad": thin_edges_bad,
    "already-blurred-bad": already_blurred_bad,
    "point-lights-good": point_lights_good,
    "point-lights-bad": point_lights_bad,
    "sharp-source-bad": sharp_source_bad,
    "separation-good": separation_good,
    "separation-bad": separation_bad,
    "camouflage-good": camouflage_good,
    "camouflage-bad": camouflage_bad,
    "crop-tight-good": crop_tight_good,
    "crop-tight-bad": crop_tight_bad,
    "clear-subject-bad": clear_subject_bad,
}


# --- layout ----------------------------------------------------------------------


def layout(rows: Rows, width: int = WIDTH, gap: int = GAP) -> Image.Image:
    """Rows stacked top to bottom, `gap` apart."""
    strips = [row_strip(panels, width, gap) for panels in rows]
    sheet = Image.new(
        "RGB", (width, sum(s.height for s in strips) + gap * (len(strips) - 1)), "white"
    )
    y = 0
    for strip in strips:
        sheet.paste(strip, (0, y))
        y += strip.height + gap
    return sheet


def row_strip(panels: list[Panel], width: int, gap: int) -> Image.Image:
    """Panels side by side at one height, filling `width`, each labelled at its foot."""
    room = width - gap * (len(panels) - 1)
    height = round(room / sum(p.shape[1] / p.shape[0] for _, p in panels))
    sheet = Image.new("RGB", (width, height), "white")
    font = ImageFont.load_default(size=15)
    x = 0
    for i, (label, pixels) in enumerate(panels):
        w = width - x if i == len(panels) - 1 else round(pixels.shape[1] * height / pixels.shape[0])
        tile = Image.fromarray(pixels).resize((w, height), Image.Resampling.LANCZOS)
        draw = ImageDraw.Draw(tile, "RGBA")
        box = draw.textbbox((8, height - 26), label, font=font)
        draw.rectangle((box[0] - 5, box[1] - 4, box[2] + 5, box[3] + 4), fill=(0, 0, 0, 165))
        draw.text((8, height - 26), label, font=font, fill="white")
        sheet.paste(tile, (x, 0))
        x += w + gap
    return sheet


def make(name: str, maker: Maker, folder: Path) -> Path:
    path = folder / f"{name}.jpg"
    sheet = layout(FIGURES[name](maker))
    sheet.save(path, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return path
