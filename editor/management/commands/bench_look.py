"""How fast a first result, and a new look, reach the screen, through the real stack.

The second half of `make bench`. First: from a finished upload of a 2 MP and of a
12 MP photo to its first preview on screen, beside the pipeline's own time.

For each tool: upload a 12-megapixel photo and time the whole first job (the
reference: what every change would cost if it ran the network again), then
change the look several times and time, from the request, until the new
preview is ready to show and until the full-size file is written. Then the
same for fixes to the portrait's mask: brush strokes, and taps (which run the
network again on a crop around the tap).
"""

import io
import json
import statistics
import time
import urllib.parse
import urllib.request

import numpy as np
from django.core.management.base import BaseCommand
from PIL import Image
from skimage import data as photos

from editor.imaging import pipeline
from editor.imaging.options import Options
from editor.worker import engine

from .loadtest import _post_photo, _wait_for_site

LOOKS = {
    "portrait": [
        {"strength": "2"},
        {"style": "lens"},
        {"strength": "0.5"},
        {"style": "gaussian"},
        {"strength": "1.5", "format": "webp"},
    ],
    "cutout": [
        {"background": "#2040ff"},
        {"background": "blur"},
        {"background": "transparent"},
        {"background": "#ffffff"},
        {"background": "transparent", "format": "webp-lossless"},
    ],
}


class Command(BaseCommand):
    help = "Time changing the look of a 12 MP result through a running site."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the site")

    def handle(self, *args, url: str, wait: float, **_):
        _wait_for_site(url, wait)
        for megapixels in (2, 12):
            self._first_preview(url, megapixels)
        photo = _twelve_megapixels()
        for tool, looks in LOOKS.items():
            started = time.monotonic()
            job = _post_photo(f"{url}/api/jobs", tool, photo)
            status_url = f"{url}/jobs/{job['id']}/status"
            _until(status_url, lambda s: s["status"] == "done")
            first = time.monotonic() - started
            render_url = f"{url}/api/jobs/{job['id']}/render"
            shown, written = _time_changes(url, status_url, _post_form, render_url, looks)
            self.stdout.write(
                f"12 MP {tool}: new look on screen {statistics.median(shown):.2f} s "
                f"(reference: {first:.2f} s for the whole first job), full-size file written "
                f"{statistics.median(written):.2f} s (medians of {len(looks)} changes)"
            )

            if tool == "portrait":
                self._edits(url, job["id"], status_url, statistics.median(shown))

    def _first_preview(self, url: str, megapixels: int) -> None:
        """From the upload's last byte to the first preview on screen, as the page follows
        it (the status view's long poll), beside the pipeline's own time for the same
        photo (decode, network, refine, edge colours, the preview) in this process."""
        photo = _photo(megapixels)
        _pipeline_seconds(photo)  # warm: the model loaded, the first run's allocations made
        own = statistics.median(_pipeline_seconds(photo) for _ in range(3))
        shown = []
        for _ in range(3):
            job = _post_photo(f"{url}/api/jobs", "portrait", photo)
            started = time.monotonic()  # the upload is in: the POST has answered
            status_url = f"{url}/jobs/{job['id']}/status"
            state = json.load(urllib.request.urlopen(status_url, timeout=30))
            while not state["preview_url"]:
                query = urllib.parse.urlencode({"since": state["token"], "wait": 20})
                state = json.load(urllib.request.urlopen(f"{status_url}?{query}", timeout=30))
                if state["status"] == "failed":
                    raise RuntimeError(f"job failed: {state}")
            urllib.request.urlopen(url + state["preview_url"]).read()  # on screen
            shown.append(time.monotonic() - started)
            _until(status_url, lambda s: s["status"] == "done")
        first = statistics.median(shown)
        self.stdout.write(
            f"{megapixels} MP portrait: first preview on screen {first:.2f} s after the upload "
            f"(the pipeline alone: {own:.2f} s, {first / own:.2f}×; medians of 3)"
        )

    def _edits(self, url: str, job_id: str, status_url: str, look: float) -> None:
        """Seconds from each mask edit to its preview on screen and to its full-size file."""
        for kind, bodies in EDITS.items():
            mask_url = f"{url}/api/jobs/{job_id}/mask"
            shown, written = _time_changes(url, status_url, _post_json, mask_url, bodies)
            self.stdout.write(
                f"12 MP portrait, {kind}: preview on screen {statistics.median(shown):.2f} s "
                f"(reference: {look:.2f} s for a new look), full-size file written "
                f"{statistics.median(written):.2f} s (medians of {len(bodies)})"
            )


def _time_changes(
    url: str, status_url: str, post, target: str, changes: list
) -> tuple[list[float], list[float]]:
    """Post each change to `target`; seconds until its preview is on screen, and until
    its full-size file is written."""
    shown, written = [], []
    for change in changes:
        started = time.monotonic()
        wanted = post(target, change)["request"]
        state = _until(status_url, lambda s, w=wanted: s["preview_request"] >= w)
        urllib.request.urlopen(url + state["preview_url"]).read()  # on screen
        shown.append(time.monotonic() - started)
        _until(status_url, lambda s, w=wanted: s["status"] == "done" and s["request"] >= w)
        written.append(time.monotonic() - started)
    return shown, written


# Points on the 4000×3000 astronaut: the flag (top left), the rocket (right), her arm.
EDITS = {
    "brush stroke": [
        {"strokes": [{"mode": "remove", "radius": 40, "points": [[200, 2800], [600, 2850]]}]},
        {"strokes": [{"mode": "keep", "radius": 60, "points": [[3700, 300], [3800, 500]]}]},
        {"undo": True},
    ],
    "tap": [
        {"keep": [[350, 500]]},
        {"remove": [[3400, 1200]]},
        {"keep": [[3500, 1300]]},
    ],
}


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    return json.load(urllib.request.urlopen(request, timeout=60))


def _twelve_megapixels() -> bytes:
    return _photo(12)


def _photo(megapixels: int) -> bytes:
    """The astronaut as a JPEG of about this many megapixels, 4:3."""
    width = round((megapixels * 1_000_000 * 4 / 3) ** 0.5)
    size = (width, width * 3 // 4)
    pixels = np.asarray(Image.fromarray(photos.astronaut()).resize(size, Image.LANCZOS))
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _pipeline_seconds(photo: bytes) -> float:
    """One warm run of what a first preview needs, in this process, on the worker's threads."""
    engine.use_threads()
    started = time.monotonic()
    analysis = pipeline.analyse(photo, **engine.model_args())
    pipeline.preview(analysis.layers.shrunk(pipeline.PREVIEW_SIDE), "portrait", Options())
    return time.monotonic() - started


def _post_form(url: str, fields: dict) -> dict:
    body = urllib.parse.urlencode(fields).encode()
    return json.load(urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=60))


def _until(url: str, done, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.load(urllib.request.urlopen(url, timeout=30))
        if done(state):
            return state
        if state["status"] == "failed":
            raise RuntimeError(f"job failed: {state}")
        time.sleep(0.02)
    raise TimeoutError(url)
