"""A burst of uploads against a running site, to show it copes (make loadtest).

Sends N uploads from C concurrent clients through the API, polls every job to
the end, checks each result, and meanwhile times the home page.
"""

import argparse
import io
import json
import statistics
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from PIL import Image
from skimage import data as photos

from . import _abuse


class Command(BaseCommand):
    help = "Send a burst of uploads to a running site and report throughput and latency."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--jobs", type=int, default=100)
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument("--timeout", type=float, default=900, help="seconds for the lot")
        parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the site")
        parser.add_argument(
            "--megapixels",
            type=float,
            nargs="+",
            default=[1.9],
            help="photo sizes; the jobs take them in turn (default: one 1600×1200 photo)",
        )
        parser.add_argument("--label", default="", help="a heading for this run's figures")
        parser.add_argument(
            "--batch-beside",
            type=int,
            default=0,
            metavar="N",
            help="only this: a batch of N 40 MP photos, then another client's small upload",
        )
        parser.add_argument(
            "--abuse",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="beside the burst, an abusive client: a render flood and 50 slow connections",
        )

    def handle(self, *args, url: str, jobs: int, clients: int, timeout: float, wait: float, **opts):
        _wait_for_site(url, wait)
        sizes = [_photo(megapixels) for megapixels in opts["megapixels"]]
        if opts["label"]:
            self.stdout.write(f"== {opts['label']}")
        if opts["batch_beside"]:
            beside = _abuse.BatchBeside(
                url, _post_photo, _post_batch, sizes[0], opts["batch_beside"]
            )
            for line in beside.run():
                self.stdout.write(line)
            return
        abuse = _abuse.Abuse(url, _post_photo, sizes[0]) if opts["abuse"] else None
        for line in abuse.start() if abuse else []:
            self.stdout.write(line)
        probe = _HomeProbe(url)
        probe.start()
        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            # Each size gets both tools: with two sizes, jobs go portrait, portrait, cutout, cutout.
            work = [
                ("portrait" if i // len(sizes) % 2 == 0 else "cutout", sizes[i % len(sizes)])
                for i in range(jobs)
            ]
            outcomes = list(pool.map(lambda job: _one_job(url, *job, timeout), work))
        elapsed = time.monotonic() - started
        probe.stop()
        for line in abuse.stop() if abuse else []:
            self.stdout.write(line)

        ids = [o["id"] for o in outcomes if o.get("id")]
        good = [o for o in outcomes if o.get("ok")]
        latencies = sorted(probe.latencies)
        described = " and ".join(f"{megapixels:g} MP" for megapixels in opts["megapixels"])
        self.stdout.write(
            f"jobs sent: {jobs} ({described} photos) from {clients} concurrent clients"
        )
        self.stdout.write(f"jobs done with a valid result: {len(good)}")
        self.stdout.write(
            f"distinct job ids: {len(set(ids))} (duplicates: {len(ids) - len(set(ids))})"
        )
        self.stdout.write(
            f"wall time: {elapsed:.1f} s, throughput: {len(good) / elapsed * 60:.1f} jobs/minute"
        )
        self.stdout.write(
            f"home page during the burst: {len(latencies)} requests, "
            f"p50 {_percentile(latencies, 50) * 1000:.0f} ms, "
            f"p95 {_percentile(latencies, 95) * 1000:.0f} ms, errors {probe.errors}"
        )
        waits = sorted(o["seconds"] for o in good)
        self.stdout.write(
            f"upload to result, per job: p50 {_percentile(waits, 50):.1f} s, "
            f"p95 {_percentile(waits, 95):.1f} s"
        )
        problems = [o for o in outcomes if not o.get("ok")]
        for problem in problems[:10]:
            self.stdout.write(f"  problem: {problem}")
        if problems or len(set(ids)) != jobs or probe.errors:
            raise CommandError(f"{len(problems)} of {jobs} jobs did not end with a valid result")


def _wait_for_site(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=5).read()
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise CommandError(f"no site answers at {url}: {exc}") from None
            time.sleep(1)


def _photo(megapixels: float) -> bytes:
    """A real 4:3 photo of about this many megapixels (1.9: 1600×1200, what a phone
    upload shrunk by a messenger looks like; 12: 4000×3000, a phone's own)."""
    width = round((megapixels * 1e6 * 4 / 3) ** 0.5 / 100) * 100
    size = (width, width * 3 // 4)
    pixels = np.asarray(Image.fromarray(photos.astronaut()).resize(size, Image.LANCZOS))
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=88)
    return buf.getvalue()


def _one_job(url: str, tool: str, photo: bytes, timeout: float) -> dict:
    started = time.monotonic()
    try:
        created = _post_photo(f"{url}/api/jobs", tool, photo)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = json.load(urllib.request.urlopen(created["status_url"], timeout=30))
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.5)
        else:
            return {"id": created["id"], "error": "not finished in time"}
        if state["status"] != "done":
            return {"id": created["id"], "error": state["error"]}
        result = Image.open(io.BytesIO(urllib.request.urlopen(state["result_url"]).read()))
        expected = "RGB" if tool == "portrait" else "RGBA"
        ok = result.size == Image.open(io.BytesIO(photo)).size and result.mode == expected
        seconds = time.monotonic() - started
        return {
            "id": created["id"],
            "ok": ok,
            "size": result.size,
            "mode": result.mode,
            "seconds": seconds,
        }
    except Exception as exc:  # a load test reports every failure, whatever it is
        return {"error": repr(exc)}


def _post_photo(url: str, tool: str, photo: bytes) -> dict:
    return _post_batch(url, tool, [photo])


def _post_batch(url: str, tool: str, shots: list[bytes]) -> dict:
    """One form with the tool and every photo as an `image` field (/api/jobs takes one)."""
    boundary = uuid.uuid4().hex
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="tool"\r\n\r\n{tool}\r\n'.encode()
    for n, photo in enumerate(shots):
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="load{n}.jpg"'
            "\r\nContent-Type: image/jpeg\r\n\r\n"
        ).encode()
        body += photo + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    return json.load(urllib.request.urlopen(request, timeout=120))


class _HomeProbe(threading.Thread):
    """Fetches the home page five times a second while the burst runs."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.latencies, self.errors = url + "/", [], 0
        self.running = True

    def run(self) -> None:
        while self.running:
            started = time.monotonic()
            try:
                urllib.request.urlopen(self.url, timeout=30).read()
                self.latencies.append(time.monotonic() - started)
            except OSError:
                self.errors += 1
            time.sleep(0.2)

    def stop(self) -> None:
        self.running = False
        self.join()


def _percentile(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
        if len(values) > 1
        else values[0]
    )
