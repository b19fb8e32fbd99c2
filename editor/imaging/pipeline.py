"""From uploaded bytes to finished files, shared by the worker and the CLI.

A job runs in two halves. `analyse` is the slow half: decode and segment,
once per photo. `compose` + `encode_result` is the fast half, run again from
the stored mask whenever the visitor changes the look.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from . import decode, effects, encode, segment
from .errors import ImageError

TOOLS = ("portrait", "cutout")
STYLES = ("gaussian", "lens")
FORMATS = {"portrait": ("jpeg", "webp"), "cutout": ("png", "webp-lossless")}
STRENGTHS = (0.25, 3.0)  # multiples of the default blur


@dataclass(frozen=True)
class Options:
    """How the result should look; everything here can change without a new mask."""

    strength: float = 1.0  # multiple of effects.DEFAULT_STRENGTH
    style: str = "gaussian"
    background: str = "transparent"  # cutout only: transparent, blur, or a #rrggbb colour
    format: str = ""  # "" means the tool's first format
    keep_camera_details: bool = False  # EXIF without location; off by default

    def output_format(self, tool: str) -> str:
        return self.format or FORMATS[tool][0]


@dataclass(frozen=True)
class Analysis:
    photo: decode.Photo
    mask: np.ndarray  # H×W float32 in 0..1, full resolution: what the effects use
    plain_mask: np.ndarray  # the network's mask scaled up as it is: what the advisor reads


@dataclass(frozen=True)
class Rendered:
    image: bytes  # the finished photo
    extension: str
    width: int
    height: int
    mask: bytes = b""  # 8-bit PNG at full resolution, when the mask was made in this call


def analyse(
    data: bytes,
    *,
    model_path: str,
    model_sha256: str | None = None,
    max_pixels: int = 40_000_000,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> Analysis:
    photo = decode.decode(data, max_pixels)
    on_stage("segmenting")
    mask = segment.predict(photo.pixels, segment.session(model_path, model_sha256))
    return Analysis(photo, mask, mask)


def compose(rgb: np.ndarray, mask: np.ndarray, tool: str, options: Options) -> np.ndarray:
    """The result's pixels: RGB for a portrait, RGBA (or RGB on a background) for a cutout."""
    strength = effects.DEFAULT_STRENGTH * options.strength
    if tool == "portrait":
        return effects.portrait(rgb, mask, strength=strength)
    if tool != "cutout":
        raise ValueError(f"unknown tool {tool!r}")
    return effects.cutout(rgb, mask)


def encode_result(pixels: np.ndarray, photo: decode.Photo, tool: str, options: Options) -> Rendered:
    fmt = options.output_format(tool)
    exif = encode.camera_exif(photo.exif) if options.keep_camera_details else None
    image = encode.save(pixels, fmt, icc_profile=photo.icc_profile, exif=exif)
    height, width = pixels.shape[:2]
    return Rendered(image, encode.extension(fmt), width, height)


def render(
    data: bytes,
    tool: str,
    *,
    options: Options = Options(),
    on_stage: Callable[[str], None] = lambda stage: None,
    **model: object,
) -> Rendered:
    """The whole job in one call (the CLI's path): analyse, compose, encode."""
    analysis = analyse(data, on_stage=on_stage, **model)
    on_stage("compositing")
    rendered = finish(analysis, tool, options)
    return dataclasses.replace(rendered, mask=encode.mask_png(analysis.mask))


def finish(analysis: Analysis, tool: str, options: Options) -> Rendered:
    pixels = compose(analysis.photo.pixels, analysis.mask, tool, options)
    return encode_result(pixels, analysis.photo, tool, options)


def rerender(data: bytes, mask_png: bytes, tool: str, options: Options, max_pixels: int):
    """A new look from the stored original and mask, without running the network."""
    photo = decode.decode(data, max_pixels)
    mask = read_mask(mask_png, photo.pixels.shape)
    return finish(Analysis(photo, mask, mask), tool, options)


def read_mask(mask_png: bytes, shape: tuple[int, ...]) -> np.ndarray:
    with Image.open(io.BytesIO(mask_png)) as im:
        mask = np.asarray(im.convert("L"), dtype=np.float32) / 255.0
    if mask.shape != shape[:2]:
        raise ImageError("The stored mask no longer matches this photo. Please upload it again.")
    return mask
