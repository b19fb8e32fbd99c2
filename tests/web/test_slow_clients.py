"""The web server as production runs it (the Procfile's gunicorn) against slow clients."""

import contextlib
import io
import os
import re
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import psutil
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config import celery_app
from editor.jobs import protocol
from editor.management.commands._abuse import IdleReaders, SlowClients
from tests.conftest import encode, running_worker
from tests.environment import _free_port
from tests.paths import ROOT
from tests.web.conftest import wait_for

HELD = 4  # downloads one client may have open (MAX_DOWNLOADS_PER_CLIENT's default)


@contextlib.contextmanager
def procfile_gunicorn(log: Path, **extra: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """The Procfile's `web` line, run as honcho would, on a free loopback port."""
    command = re.search(r"^web:\s*(.+)$", (ROOT / "Procfile").read_text(), re.MULTILINE)[1]
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "BIND_ADDRESS": "127.0.0.1",
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        **extra,
    }
    web = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline or web.poll() is not None:
                raise AssertionError(f"gunicorn did not start:\n{log.read_text()}") from None
            time.sleep(0.2)
    try:
        yield port, web
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(30)


@pytest.fixture(scope="module")
def procfile_web(tmp_path_factory):
    log = tmp_path_factory.mktemp("web") / "gunicorn.log"
    with procfile_gunicorn(log, MAX_DOWNLOADS_PER_CLIENT=str(HELD)) as (port, _):
        yield port


def test_the_home_page_answers_while_50_slow_clients_hold_connections_for_a_minute(procfile_web):
    # Each slow client sends one header line every 5 s and never finishes: the
    # attack that took a two-process sync gunicorn down with two connections.
    slow = SlowClients("127.0.0.1", procfile_web, count=50, interval=5).open_all()
    try:
        until = time.monotonic() + 60  # a minute: past gunicorn's own 30 s timeout
        while time.monotonic() < until:
            # A page stuck behind the slow clients would wait for gunicorn's 30 s timeout.
            with urllib.request.urlopen(f"http://127.0.0.1:{procfile_web}/", timeout=5) as page:
                assert page.status == 200 and b"Portrait mode" in page.read()
            time.sleep(0.5)
    finally:
        slow.stop()
    assert slow.dropped == 0  # all 50 were held open the whole time, not shed


@pytest.fixture(scope="module")
def big_zip(astronaut) -> str:
    """A finished batch whose ZIP (results and masks) is far more than a socket buffers."""
    from django.test import Client

    client = Client()
    photos = [
        SimpleUploadedFile(f"{n}.jpg", encode(cv2.resize(astronaut, (side, side)), quality=95))
        for n, side in enumerate((2000, 1800))
    ]
    with running_worker():
        batch = client.post("/api/batches", {"image": photos, "tool": "cutout"}).json()
        assert wait_for(client, batch["status_url"], until=("done",), timeout=300)
    return f"/batches/{batch['id']}/zip?masks=1"


def _until_no_download_is_open(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while protocol.downloads_open("127.0.0.1"):
        assert time.monotonic() < deadline, "a download slot was never given back"
        time.sleep(0.1)


def _home_page_answers(port: int) -> None:
    # A page stuck behind the readers would wait until they leave.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
        assert page.status == 200 and b"Portrait mode" in page.read()


def test_the_home_page_answers_while_300_idle_readers_hold_zip_downloads(procfile_web, big_zip):
    with urllib.request.urlopen(f"http://127.0.0.1:{procfile_web}{big_zip}", timeout=30) as whole:
        size = len(whole.read())
    assert size > 4 * 2**20  # more than a stalled reader lets the server buffer (~2 MB)
    _until_no_download_is_open()  # the server closes its side a moment after the last byte
    readers = IdleReaders("127.0.0.1", procfile_web, big_zip, count=300).open_all()
    try:
        deadline = time.monotonic() + 60
        while (counted := readers.statuses()).get(0, 0) and time.monotonic() < deadline:
            _home_page_answers(procfile_web)
            time.sleep(0.2)
        for _ in range(10):
            _home_page_answers(procfile_web)
        print(f"\n300 idle readers of a {size / 2**20:.0f} MB ZIP: {counted}")
        assert counted == {200: HELD, 429: 300 - HELD}
    finally:
        readers.close()
    # The held downloads gave their slots back as their readers left.
    _until_no_download_is_open()
    again = urllib.request.urlopen(f"http://127.0.0.1:{procfile_web}{big_zip}", timeout=30)
    assert len(again.read()) == size


def _post_tiff(port: int, tiff: bytes) -> int:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="tool"\r\n\r\ncutout\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.tif"\r\n'
        "Content-Type: image/tiff\r\n\r\n"
    )
    body = head.encode() + tiff + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/jobs",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=300) as answer:
        return answer.status


def test_a_web_process_comes_back_down_after_concurrent_40_megapixel_tiff_uploads(
    astronaut, tmp_path
):
    """The web decodes a TIFF in full to check it (120 MB at 40 MP), in whichever thread
    took it; what glibc kept of that afterwards stayed with the process for good."""
    big = cv2.resize(astronaut, (7280, 5460), interpolation=cv2.INTER_CUBIC)
    buf = io.BytesIO()
    Image.fromarray(big // 32 * 32).save(buf, "TIFF", compression="tiff_adobe_deflate")
    tiff = buf.getvalue()  # 3 MB: well within the upload limit, 39.7 MP
    celery_app.control.purge()
    with procfile_gunicorn(tmp_path / "gunicorn.log", WEB_CONCURRENCY="1") as (port, web):
        (process,) = psutil.Process(web.pid).children()

        def resident() -> float:
            return process.memory_info().rss / 2**20

        before = resident()
        for _ in range(2):
            with ThreadPoolExecutor(6) as pool:
                assert list(pool.map(lambda _: _post_tiff(port, tiff), range(6))) == [202] * 6
        after = resident()
    celery_app.control.purge()  # the jobs are not what this test is about
    print(f"\nweb process: {before:.0f} MB before, {after:.0f} MB after 12 TIFF uploads")
    # Measured: 280-390 MB more without handing memory back, 45-100 MB with it.
    assert after - before < 200
