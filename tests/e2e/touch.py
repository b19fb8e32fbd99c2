"""Fingers on a phone's screen, through Chromium's own touch input (DevTools protocol):
Playwright's touchscreen can only tap, and a stroke or a pinch needs moving fingers."""

import math

STEPS = 8  # touch moves per gesture: enough for the page to see a path, not a jump


def _touches(cdp, kind: str, fingers: list[tuple[float, float]]) -> None:
    points = [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(fingers)]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def swipe(page, path: list[tuple[float, float]]) -> None:
    """One finger down at the path's start, along it, then up."""
    cdp = page.context.new_cdp_session(page)
    _touches(cdp, "touchStart", [path[0]])
    for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
        for step in range(1, STEPS + 1):
            t = step / STEPS
            _touches(cdp, "touchMove", [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)])
    _touches(cdp, "touchEnd", [])
    cdp.detach()


def pinch(page, middle: tuple[float, float], start: float, end: float) -> None:
    """Two fingers down `start` pixels apart around `middle`, spread to `end` apart, up."""
    cdp = page.context.new_cdp_session(page)

    def fingers(spread: float) -> list[tuple[float, float]]:
        half = spread / 2 / math.sqrt(2)  # along a diagonal
        return [(middle[0] - half, middle[1] - half), (middle[0] + half, middle[1] + half)]

    _touches(cdp, "touchStart", fingers(start))
    for step in range(1, STEPS + 1):
        _touches(cdp, "touchMove", fingers(start + (end - start) * step / STEPS))
    _touches(cdp, "touchEnd", [])
    cdp.detach()
