"""Web and workers as separate processes sharing nothing but Redis and an S3 bucket.

Each process gets its own empty MEDIA_ROOT, as it would on its own machine,
and production settings; the bucket is a real S3-compatible server (moto).
"""

import io
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest
from PIL import Image

from config import celery_app
from tests.environment import _free_port, s3_server, wait_for_port
from tests.paths import ROOT
from tests.workers import WorkerProcess


@pytest.fixture
def machines(tmp_path):
    """Settings for three 'machines': one bucket between them, a MEDIA_ROOT each."""
    bucket = f"multi-{uuid.uuid4().hex[:12]}"
    s3_server.create_bucket(bucket)
    shared = {
        "DEBUG": "0",
        "SECRET_KEY": "multi-machine-test-not-a-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
    }
    roots = {name: tmp_path / name for name in ("web", "worker-a", "worker-b")}
    for root in roots.values():
        root.mkdir()
    return shared, roots


@pytest.fixture
def web(machines):
    shared, roots = machines
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, **shared, "MEDIA_ROOT": str(roots["web"])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process, "gunicorn")
    yield f"http://127.0.0.1:{port}", process
    process.terminate()
    process.wait(20)


@pytest.fixture
def two_workers(machines):
    shared, roots = machines
    celery_app.control.purge()
    started = [
        WorkerProcess(name, **shared, MEDIA_ROOT=str(roots[name])).start()
        for name in ("worker-a", "worker-b")
    ]
    yield started
    for worker in started:
        worker.stop()


def _post(url: str, fields: dict[str, str], photo: bytes | None = None) -> dict:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        )
        body.write(f"{value}\r\n".encode())
    if photo is not None:
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
        )
        body.write(photo + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(
        url, body.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def _wait_done(url: str, request: int = 0, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = _get_json(url)
        if body["status"] == "failed":
            raise AssertionError(f"job failed: {body}")
        if body["status"] == "done" and body["request"] >= request:
            return body
        time.sleep(0.3)
    raise AssertionError(f"{url} did not finish in {timeout} s: {body}")


def _download(url: str) -> Image.Image:
    with urllib.request.urlopen(url, timeout=30) as response:
        image = Image.open(io.BytesIO(response.read()))
        image.load()
        return image


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _mapped_libraries(process: subprocess.Popen) -> set[str]:
    found = set()
    for each in [psutil.Process(process.pid), *psutil.Process(process.pid).children()]:
        found |= {m.path for m in each.memory_maps()}
    return found


def test_a_web_and_two_workers_share_only_redis_and_the_bucket(
    web, two_workers, machines, small_photo
):
    base, gunicorn = web
    shared, roots = machines
    jobs = [
        _post(f"{base}/api/jobs", {"tool": tool}, small_photo)
        for tool in ("portrait", "cutout", "portrait", "cutout", "portrait", "portrait")
    ]
    done = [_wait_done(job["status_url"]) for job in jobs]
    for job in done:
        result = _download(job["result_url"])
        assert result.size == (256, 256)
        assert _download(job["mask_url"]).mode == "L"

    # A new look may land on either worker: its layers come from the bucket.
    look = _post(f"{jobs[0]['status_url']}/render", {"strength": "2.5", "style": "lens"})
    changed = _wait_done(jobs[0]["status_url"], request=look["request"])
    assert changed["options"]["style"] == "lens"
    assert _download(changed["result_url"]).size == (256, 256)

    for worker in two_workers:  # both took jobs
        assert "succeeded in" in worker.log.read_text(), worker.log.read_text()
    for name, root in roots.items():  # nothing on any machine's own disk
        assert _files_under(root) == [], name
    bucket = s3_server.client()
    keys = [
        o["Key"]
        for o in bucket.list_objects_v2(Bucket=shared["AWS_STORAGE_BUCKET_NAME"])["Contents"]
    ]
    assert len({key.split("/")[1] for key in keys}) == len(jobs)
    for key in keys:  # private: no grant to everyone, nor to any signed-in AWS user
        grants = bucket.get_object_acl(Bucket=shared["AWS_STORAGE_BUCKET_NAME"], Key=key)["Grants"]
        assert not [g for g in grants if "URI" in g["Grantee"]], (key, grants)
    mapped = _mapped_libraries(gunicorn)  # the web never loads the network
    assert not [path for path in mapped if "onnxruntime" in path or "cv2" in path]
