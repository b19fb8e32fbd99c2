"""Loaded with `-p tests.environment`, before Django reads its settings.

It gives the test run its own settings through env vars (a throwaway media
folder, a secret key) and its own real Redis server on a free port, started
here and stopped when the run ends.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REDIS_PORT = _free_port()
SCRATCH = Path(tempfile.mkdtemp(prefix="softfocus-tests-"))

os.environ["SECRET_KEY"] = "tests-only-not-a-secret"
os.environ["DEBUG"] = "0"
os.environ["STATIC_MANIFEST"] = "0"
os.environ["MEDIA_ROOT"] = str(SCRATCH / "media")
os.environ["UPLOAD_RATE_LIMIT"] = "0"  # tests of the limit turn it on themselves
os.environ["STATIC_ROOT"] = str(SCRATCH / "static")
os.environ["DATABASE_PATH"] = str(SCRATCH / "db.sqlite3")
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"


def redis_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "redis-server"
    found = str(beside_python) if beside_python.exists() else shutil.which("redis-server")
    if not found:
        raise pytest.UsageError("redis-server not found: run the tests with `make test`")
    return found


class RedisServer:
    """A real redis-server process the tests can stop and start again."""

    def __init__(self, port: int, folder: Path):
        self.port, self.folder, self.process = port, folder, None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


redis_server = RedisServer(REDIS_PORT, SCRATCH / "redis")


def pytest_configure(config):
    (SCRATCH / "static").mkdir()
    redis_server.start()


def pytest_unconfigure(config):
    redis_server.stop()
    shutil.rmtree(SCRATCH, ignore_errors=True)
