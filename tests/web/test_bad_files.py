"""Hostile and odd files, through the upload page and the API, with a real worker.

Each file either works or gets a clear message: never a 500, never a
traceback, nothing half-written, and the next visitor's job still works.
"""

import io
import struct
import zlib

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests import stored
from tests.conftest import encode
from tests.hostile import (
    png_inflate_bomb,
    png_with_a_cut_stream,
    scan_bomb,
    with_junk_after_the_first_segment,
)
from tests.web.conftest import wait_for


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bomb() -> bytes:
    """A 100-byte PNG whose header claims 100000×100000 pixels."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _save(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def _frames(photo: np.ndarray) -> list[Image.Image]:
    return [Image.fromarray(np.roll(photo, shift, axis=1)) for shift in (0, 40, 80)]


def _broken_exif(photo: np.ndarray) -> bytes:
    data = encode(photo)
    # An APP1 segment that says "Exif" and then holds garbage.
    app1 = b"Exif\x00\x00II*\x00\xff\xff\xff\x7fgarbage"
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:]


def _orientation(photo: np.ndarray, value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return _save(Image.fromarray(photo), "JPEG", exif=exif)


def _cases(photo: np.ndarray) -> dict[str, tuple[str, bytes, str]]:
    """name -> (filename, content, expected: 'works' or a phrase of the message)."""
    jpeg, png = encode(photo), _save(Image.fromarray(photo), "PNG")
    gray = Image.fromarray(photo).convert("L")
    palette = Image.fromarray(photo).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    palette.info["transparency"] = 3
    frames = _frames(photo)
    return {
        "empty": ("empty.jpg", b"", "empty"),
        "text as jpg": ("notes.jpg", b"just some words\n" * 20, "not a photo we can read"),
        "html as png": (
            "page.png",
            b"<!doctype html><script>alert(1)</script>",
            "not a photo we can read",
        ),
        "svg": (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
            "not a photo we can read",
        ),
        "pdf": (
            "doc.pdf",
            b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF",
            "not a photo we can read",
        ),
        "truncated jpeg": ("cut.jpg", jpeg[: len(jpeg) // 2], "damaged or incomplete"),
        "truncated png": ("cut.png", png[: len(png) // 2], "damaged or incomplete"),
        "png with a cut-off stream": (
            "cut.png",
            png_with_a_cut_stream(png),
            "damaged or incomplete",
        ),
        "scan bomb": ("scans.jpg", scan_bomb(), "more than 64 scans"),
        "scan bomb behind a junk byte": (
            "junk.jpg",
            with_junk_after_the_first_segment(scan_bomb()),
            "more than 64 scans",
        ),
        "png inflating to 4 GiB": ("zeros.png", png_inflate_bomb(), "damaged or incomplete"),
        "progressive jpeg": ("steps.jpg", encode(photo, progressive=True), "works"),
        "corrupt header": (
            "bad.jpg",
            b"\xff\xd8\xff\xe0" + b"\x00" * 200 + jpeg[600:],
            "not a photo we can read",
        ),
        "1x1": ("dot.png", _save(Image.new("RGB", (1, 1)), "PNG"), "only 1×1 pixels"),
        "strip": ("strip.png", _save(Image.new("L", (100_000, 1)), "PNG"), "only 100000×1"),
        "bomb": ("bomb.png", _bomb(), "larger than"),
        "animated gif": (
            "anim.gif",
            _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100),
            "works",
        ),
        "animated webp": (
            "anim.webp",
            _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100),
            "works",
        ),
        "16-bit png": (
            "deep.png",
            _save(Image.fromarray(np.asarray(gray).astype("<u2") * 257), "PNG"),
            "works",
        ),
        "cmyk jpeg": ("print.jpg", _save(Image.fromarray(photo).convert("CMYK"), "JPEG"), "works"),
        "gray with alpha": ("ga.png", _save(Image.merge("LA", (gray, gray)), "PNG"), "works"),
        "palette with transparency": ("pal.png", _save(palette, "PNG"), "works"),
        "broken exif": ("exif.jpg", _broken_exif(photo), "works"),
        "orientation 9": ("turned.jpg", _orientation(photo, 9), "works"),
        "path traversal name": ("../../x.jpg", jpeg, "works"),
        "300-character unicode name": ("ф" * 296 + ".jpg", jpeg, "works"),
    }


CASES = list(_cases(np.zeros((32, 32, 3), np.uint8)))


@pytest.fixture(scope="module")
def cases(astronaut):
    return _cases(np.ascontiguousarray(astronaut[::4, ::4]))


def _job_files(settings) -> set[str]:
    return stored.files()


@pytest.mark.parametrize("name", CASES)
def test_the_upload_page_handles_it(client, celery_worker, cases, name, settings, small_photo):
    filename, content, expected = cases[name]
    before = _job_files(settings)
    response = client.post("/portrait/", {"image": SimpleUploadedFile(filename, content)})
    if expected == "works":
        assert response.status_code == 302
        status = wait_for(client, response["Location"] + "status")
        assert status["status"] == "done", status
        assert 'alt="Your photo with the background blurred"' in status["html"]
    else:
        page = response.content.decode()
        assert response.status_code == 400
        assert expected in page
        assert "Traceback" not in page
        assert _job_files(settings) == before  # nothing stored for a refused file
    # The next visitor is not harmed.
    after = client.post("/portrait/", {"image": SimpleUploadedFile("ok.jpg", small_photo)})
    assert wait_for(client, after["Location"] + "status")["status"] == "done"


@pytest.mark.parametrize("name", CASES)
def test_the_api_handles_it(client, celery_worker, cases, name):
    filename, content, expected = cases[name]
    response = client.post(
        "/api/jobs", {"image": SimpleUploadedFile(filename, content), "tool": "cutout"}
    )
    if expected == "works":
        assert response.status_code == 202
        assert wait_for(client, response.json()["status_url"])["status"] == "done"
    else:
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert expected in response.json()["error"]


def test_a_download_name_never_carries_a_path(client, celery_worker, cases):
    filename, content, _ = cases["path traversal name"]
    job_url = client.post("/portrait/", {"image": SimpleUploadedFile(filename, content)})[
        "Location"
    ]
    wait_for(client, job_url + "status")
    disposition = client.get(job_url + "result?download=1")["Content-Disposition"]
    assert disposition == 'attachment; filename="x-portrait.jpg"'


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, settings, small_photo):
    settings.MAX_UPLOAD_MB = 1
    big = small_photo + b"\x00" * (2 * 1024 * 1024)
    # The tool page takes several photos without JavaScript: its guard allows a batch's weight
    # (tests/web/test_batches.py), and the form then refuses the one photo.
    page = client.post("/portrait/", {"image": SimpleUploadedFile("big.jpg", big)})
    assert page.status_code == 400
    assert b"the limit is 1 MB" in page.content
    api = client.post("/api/jobs", {"image": SimpleUploadedFile("big.jpg", big), "tool": "cutout"})
    assert api.status_code == 413 and "the limit is 1 MB" in api.json()["error"]


def test_the_pixel_limit_is_a_setting_checked_from_the_header(client, settings, small_photo):
    settings.MAX_MEGAPIXELS = 0
    page = client.post("/portrait/", {"image": SimpleUploadedFile("a.jpg", small_photo)})
    assert page.status_code == 400 and b"larger than 0 megapixels" in page.content
