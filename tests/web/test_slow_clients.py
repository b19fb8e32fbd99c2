"""The web server as production runs it (the Procfile's gunicorn) against slow clients."""

import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from editor.management.commands._abuse import SlowClients
from tests.environment import _free_port
from tests.paths import ROOT


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
