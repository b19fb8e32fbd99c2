"""Loaded with `-p tests.environment`, before Django reads its settings.

It gives the test run its own settings through env vars (a throwaway media
folder, a secret key), its own real Redis server and its own S3-compatible
server (moto) on free ports, started here and stopped when the run ends.

`TEST_STORAGE=s3` runs the suite with job files in a bucket on that server
instead of on disk (`make test` runs the web tests both ways).
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
# The test client never closes a download it does not read: the cap would count it.
os.environ["MAX_DOWNLOADS_PER_CLIENT"] = "0"  # tests of the cap turn it on themselves
os.environ["STATIC_ROOT"] = str(SCRATCH / "static")
os.environ["DATABASE_PATH"] = str(SCRATCH / "db.sqlite3")
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"

S3_PORT = _free_port()
S3 = {
    "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{S3_PORT}",
    "AWS_ACCESS_KEY_ID": "tests",
    "AWS_SECRET_ACCESS_KEY": "tests-only-not-a-secret",
    "AWS_S3_REGION_NAME": "us-east-1",
}
os.environ.update(S3)
if os.environ.get("TEST_STORAGE") == "s3":
    os.environ["STORAGE_BACKEND"] = "s3"
    os.environ["AWS_STORAGE_BUCKET_NAME"] = "softfocus-tests"


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


def wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not start on port {port}")


class S3Server:
    """moto's S3-compatible server: buckets in memory, spoken to over real HTTP."""

    def __init__(self, port: int):
        self.port, self.process = port, None

    def start(self) -> None:
        binary = Path(sys.executable).parent / "moto_server"
        self.process = subprocess.Popen(
            [str(binary), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, "moto_server")

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=S3["AWS_S3_ENDPOINT_URL"],
            aws_access_key_id=S3["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3["AWS_SECRET_ACCESS_KEY"],
            region_name=S3["AWS_S3_REGION_NAME"],
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


redis_server = RedisServer(REDIS_PORT, SCRATCH / "redis")
s3_server = S3Server(S3_PORT)


def pytest_configure(config):
    (SCRATCH / "static").mkdir()
    redis_server.start()
    s3_server.start()
    if os.environ.get("STORAGE_BACKEND") == "s3":
        s3_server.create_bucket(os.environ["AWS_STORAGE_BUCKET_NAME"])


def pytest_unconfigure(config):
    redis_server.stop()
    s3_server.stop()
    shutil.rmtree(SCRATCH, ignore_errors=True)
