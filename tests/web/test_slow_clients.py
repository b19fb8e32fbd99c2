"""The web server as production runs it (the Procfile's gunicorn) against slow clients."""

import os
import re
import signal
import subprocess
import time
import urllib.request

import cv2
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from editor.management.commands._abuse import IdleReaders, SlowClients
from tests.conftest import encode, running_worker
from tests.environment import _free_port
from tests.paths import ROOT
from tests.web.conftest import wait_for


@pytest.fixture(scope="module")
def procfile_web(tmp_path_factory):
    """The Procfile's `web` line, run as honcho would, on a free loopback port."""
    command = re.search(r"^web:\s*(.+)$", (ROOT / "Procfile").read_text(), re.MULTILINE)[1]
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "BIND_ADDRESS": "127.0.0.1",
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    log = tmp_path_factory.mktemp("web") / "gunicorn.log"
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
    yield port
    os.killpg(web.pid, signal.SIGTERM)
    web.wait(30)


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


def _home_page_answers(port: int) -> None:
    # A page stuck behind the readers would wait until they leave.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
        assert page.status == 200 and b"Portrait mode" in page.read()


def test_the_home_page_answers_while_300_idle_readers_hold_zip_downloads(procfile_web, big_zip):
    whole = urllib.request.urlopen(f"http://127.0.0.1:{procfile_web}{big_zip}", timeout=30)
    size = len(whole.read())
    assert size > 4 * 2**20  # more than a stalled reader lets the server buffer (~2 MB)
    readers = IdleReaders("127.0.0.1", procfile_web, big_zip, count=300).open_all()
    try:
        deadline = time.monotonic() + 60
        while (counted := readers.statuses()).get(0, 0) and time.monotonic() < deadline:
            _home_page_answers(procfile_web)
            time.sleep(0.2)
        for _ in range(10):
            _home_page_answers(procfile_web)
        print(f"\n300 idle readers of a {size / 2**20:.0f} MB ZIP: {counted}")
        held = settings.MAX_DOWNLOADS_PER_CLIENT
        assert counted == {200: held, 429: 300 - held}
    finally:
        readers.close()
    # The held downloads gave their slots back as their readers left.
    time.sleep(1)
    again = urllib.request.urlopen(f"http://127.0.0.1:{procfile_web}{big_zip}", timeout=30)
    assert len(again.read()) == size
