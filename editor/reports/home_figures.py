"""The home and tool pages' before/after pictures: sample photos through the site's own path.

Each example is a public-domain or CC0 photo shipped inside scikit-image (no download),
sent through `pipeline.render` exactly as an upload is, in the default look, so what
the pages promise is what a visitor gets. A cutout is shown on the grey checkerboard
editors use for transparency, since a JPEG cannot hold it. The templates name each
photo, its author and its licence.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from editor.imaging import pipeline
from editor.reports.guide_figures import checker, photo

QUALITY = 82  # as the guide's figures: no visible loss at the size shown


@dataclass(frozen=True)
class Example:
    photo: str  # a scikit-image sample, by guide_figures.photo's name
    tool: str  # portrait or cutout
    rows: tuple[int, int] | None = None  # the rows shown, cut from photo and result alike


EXAMPLES = {
    # NASA: public domain. Her head, the flag and the shuttle, at 3:2 like the coffee,
    # so the home page's two cards line up.
    "portrait": Example("astronaut", "portrait", rows=(0, 341)),
    "cutout": Example("coffee", "cutout"),  # Rachel Michetti: CC0
}


def before_after(example: Example, model: dict) -> tuple[np.ndarray, np.ndarray]:
    """The photo and the site's result for it, both RGB uint8 at the photo's size."""
    rgb = photo(example.photo)
    upload = io.BytesIO()
    Image.fromarray(rgb).save(upload, "PNG")  # lossless: the result's only loss is ours
    rendered = pipeline.render(upload.getvalue(), example.tool, **model)
    result = np.asarray(Image.open(io.BytesIO(rendered.image)))
    if result.shape[-1] == 4:
        result = checker(result)
    shown = slice(*example.rows) if example.rows else slice(None)  # cut after the render
    return rgb[shown], result[shown]


def make(name: str, model: dict, folder: Path) -> list[Path]:
    """Write <name>-before.jpg and <name>-after.jpg into `folder`; returns their paths."""
    paths = []
    for side, pixels in zip(("before", "after"), before_after(EXAMPLES[name], model), strict=True):
        path = folder / f"{name}-{side}.jpg"
        Image.fromarray(pixels).save(path, "JPEG", quality=QUALITY, optimize=True, progressive=True)
        paths.append(path)
    return paths
