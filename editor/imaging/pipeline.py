"""One call from uploaded bytes to finished files, shared by the worker and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import decode, effects, encode, segment

TOOLS = ("portrait", "cutout")
EXTENSIONS = {"portrait": "jpg", "cutout": "png"}


@dataclass(frozen=True)
class Rendered:
    image: bytes  # the finished photo (JPEG for portrait, RGBA PNG for cutout)
    mask: bytes  # 8-bit grayscale PNG at full resolution
    extension: str
    width: int
    height: int


def render(
    data: bytes,
    tool: str,
    *,
    model_path: str,
    model_sha256: str | None = None,
    max_pixels: int = 40_000_000,
    strength: float = effects.DEFAULT_STRENGTH,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> Rendered:
    if tool not in TOOLS:
        raise ValueError(f"unknown tool {tool!r}")
    rgb = decode.decode(data, max_pixels)
    on_stage("segmenting")
    mask = segment.predict(rgb, segment.session(model_path, model_sha256))
    on_stage("compositing")
    if tool == "portrait":
        image = encode.jpeg(effects.portrait(rgb, mask, strength))
    else:
        image = encode.png(effects.cutout(rgb, mask))
    height, width = rgb.shape[:2]
    return Rendered(image, encode.mask_png(mask), EXTENSIONS[tool], width, height)
