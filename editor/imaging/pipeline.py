"""From uploaded bytes to finished files, shared by the worker and the CLI.

A job runs in two halves. `analyse` is the slow half, once per photo: decode,
segment, refine the mask at full resolution, estimate the subject's own edge
colours. `compose` + `encode_result` is the fast half, run again from those
layers whenever the visitor changes the look.
"""

from __future__ import annotations

import dataclasses
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from . import decode, edits, effects, encode, foreground, refine, segment, taps
from .errors import ImageError
from .options import FORMATS, STRENGTHS, STYLES, TOOLS, Options  # noqa: F401 (re-exported)

PREVIEW_SIDE = 1600  # what the job page shows: enough for any screen, quick to make


@dataclass(frozen=True)
class Layers:
    """Everything a render needs; nothing here depends on the options."""

    photo: decode.Photo
    mask: np.ndarray  # H×W float32 in 0..1, refined at full resolution
    fg: np.ndarray  # H×W×3 uint8: the subject's own colour, edges included

    def shrunk(self, side: int) -> Layers:
        """A copy whose longer side is at most `side` pixels, for previews."""
        height, width = self.mask.shape
        scale = side / max(height, width)
        if scale >= 1:
            return self
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = lambda a: cv2.resize(a, size, interpolation=cv2.INTER_AREA)  # noqa: E731
        photo = dataclasses.replace(self.photo, pixels=small(self.photo.pixels))
        return Layers(photo, small(self.mask), small(self.fg))


@dataclass(frozen=True)
class Analysis:
    layers: Layers
    soft: np.ndarray  # the network's own low-resolution map

    @functools.cached_property
    def plain_mask(self) -> np.ndarray:
        """The network's mask scaled up as it is: what the advisor reads.

        Made when first asked for, so that a job without the advisor (the CLI)
        neither spends the time nor holds another full-size float array.
        """
        return segment.upscale(self.soft, self.layers.photo.pixels.shape)


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
    # One shrunk copy feeds the network, the outline's fit and the edge colours.
    small = refine.work_copy(photo.pixels)
    soft = segment.saliency(small, segment.session(model_path, model_sha256))
    mask = refine.refine(photo.pixels, soft, shrunk=small)
    fg = foreground.estimate(photo.pixels, mask, shrunk=small)
    return Analysis(Layers(photo, mask, fg), soft)


def layers_from(data: bytes, mask_png: bytes, max_pixels: int) -> Layers:
    """Rebuild the layers from the stored original and mask, without the network."""
    photo = decode.decode(data, max_pixels)
    mask = read_mask(mask_png, photo.pixels.shape)
    return Layers(photo, mask, foreground.estimate(photo.pixels, mask))


def compose(layers: Layers, tool: str, options: Options) -> np.ndarray:
    """The result's pixels: RGB for a portrait, RGBA (or RGB on a background) for a cutout."""
    rgb, mask, fg = layers.photo.pixels, layers.mask, layers.fg
    strength = effects.DEFAULT_STRENGTH * options.strength
    if tool == "portrait" or options.background == "blur":
        return effects.portrait(rgb, mask, strength, options.style, fg=fg)
    if tool != "cutout":
        raise ValueError(f"unknown tool {tool!r}")
    if options.background == "transparent":
        return effects.cutout(fg, mask)
    colour = tuple(int(options.background[i : i + 2], 16) for i in (1, 3, 5))
    return effects.on_colour(fg, mask, colour)


def encode_result(pixels: np.ndarray, photo: decode.Photo, tool: str, options: Options) -> Rendered:
    fmt = options.output_format(tool)
    exif = encode.camera_exif(photo.exif) if options.keep_camera_details else None
    image = encode.save(pixels, fmt, icc_profile=photo.icc_profile, exif=exif)
    height, width = pixels.shape[:2]
    return Rendered(image, encode.extension(fmt), width, height)


def finish(layers: Layers, tool: str, options: Options) -> Rendered:
    return encode_result(compose(layers, tool, options), layers.photo, tool, options)


def preview(layers: Layers, tool: str, options: Options) -> Rendered:
    """A screen-sized version of the result, shown while the full size is made."""
    small = layers.shrunk(PREVIEW_SIDE)
    pixels = compose(small, tool, options)
    fmt = "png" if pixels.ndim == 3 and pixels.shape[2] == 4 else "jpeg"
    return encode_result(pixels, small.photo, tool, dataclasses.replace(options, format=fmt))


def original_preview(layers: Layers) -> bytes:
    """The upright photo as a screen-sized JPEG: browsers cannot show HEIC or TIFF."""
    small = layers.shrunk(PREVIEW_SIDE).photo
    return encode.save(small.pixels, "jpeg", icc_profile=small.icc_profile)


def render(
    data: bytes,
    tool: str,
    *,
    options: Options = Options(),
    fixes: edits.Edits | None = None,
    on_stage: Callable[[str], None] = lambda stage: None,
    with_mask: bool = False,
    **model: object,
) -> Rendered:
    """The whole job in one call (the CLI's path): analyse, apply the fixes, compose, encode.

    The mask's PNG is made only `with_mask`: at 12 MP it costs as much as the blend.
    """
    layers = analyse(data, on_stage=on_stage, **model).layers
    if fixes:
        height, width = layers.mask.shape
        for batch in fixes.batches:
            batch.check(width, height)
        # All of them together, as the job layer checks each new request against a job's.
        edits.check_budget(edits.Edits(fixes.batches[:-1]), fixes.batches[-1], width, height)
        model_session = segment.session(str(model["model_path"]), model.get("model_sha256"))
        layers = edited(layers, fixes, session=model_session)
    on_stage("compositing")
    mask = encode.mask_png(layers.mask) if with_mask else b""
    photo = _without_pixels(layers.photo)
    if tool == "cutout" and options.background == "transparent":
        # Made from the edge colours and the mask alone: the photo can go first.
        layers = dataclasses.replace(layers, photo=photo)
    pixels = compose(layers, tool, options)
    # Only the photo's profile and EXIF are still needed: let the encoder's
    # copies take the place of the full-size layers.
    del layers
    return dataclasses.replace(encode_result(pixels, photo, tool, options), mask=mask)


def edited(layers: Layers, fixes: edits.Edits, **apply_args) -> Layers:
    """The layers with the visitor's fixes applied to the mask (and the edge colours redone)."""
    pixels = layers.photo.pixels
    mask = taps.apply(pixels, layers.mask, fixes, **apply_args)
    return Layers(layers.photo, mask, foreground.estimate(pixels, mask))


def _without_pixels(photo: decode.Photo) -> decode.Photo:
    """The photo's profile and EXIF, for the encoder, without its 3 bytes a pixel."""
    return dataclasses.replace(photo, pixels=np.empty((0, 0, 3), np.uint8))


def read_map(png: bytes) -> np.ndarray:
    """A stored 8-bit mask or map as float32 0..1, at whatever size it was stored."""
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0


def read_mask(mask_png: bytes, shape: tuple[int, ...]) -> np.ndarray:
    mask = read_map(mask_png)
    if mask.shape != shape[:2]:
        raise ImageError("The stored mask no longer matches this photo. Please upload it again.")
    return mask
