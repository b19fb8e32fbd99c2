"""What a visitor may choose, and the limits on it: plain data, no OpenCV, no ONNX Runtime.

The web checks forms against these without loading the heavy half of the
pipeline; the worker renders with the same values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOOLS = ("portrait", "cutout")
STYLES = ("gaussian", "lens")
FORMATS = {"portrait": ("jpeg", "webp"), "cutout": ("png", "webp-lossless")}
STRENGTHS = (0.25, 3.0)  # multiples of the default blur
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Options:
    """How the result should look; everything here can change without a new mask."""

    strength: float = 1.0  # multiple of effects.DEFAULT_STRENGTH
    style: str = "gaussian"  # or "lens"
    background: str = "transparent"  # cutout only: transparent, blur, or a #rrggbb colour
    format: str = ""  # "" means the tool's first format
    keep_camera_details: bool = False  # EXIF without location; off by default

    def output_format(self, tool: str) -> str:
        return self.format or FORMATS[tool][0]

    def check(self, tool: str) -> Options:
        """Raise ValueError on options this tool cannot honour."""
        low, high = STRENGTHS
        if not low <= self.strength <= high:
            raise ValueError(f"strength must be between {low} and {high}")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}")
        if self.background not in ("transparent", "blur") and not COLOUR.match(self.background):
            raise ValueError("background must be transparent, blur or a colour like #ffffff")
        if self.format and self.format not in FORMATS[tool]:
            raise ValueError(f"format must be one of {', '.join(FORMATS[tool])}")
        return self
