import contextlib
import io

import numpy as np
import pytest
from celery.contrib.testing.worker import start_worker
from PIL import Image
from skimage import data as photos

from config import celery_app


@contextlib.contextmanager
def running_worker():
    """A real Celery worker, in this process, consuming from the test Redis."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


@pytest.fixture
def celery_worker():
    """One worker per test, so a test without it can see a job stay queued.

    Jobs that such a test left in the queue are purged first.
    """
    celery_app.control.purge()
    with running_worker():
        yield


def encode(pixels: np.ndarray, fmt: str = "JPEG", **params) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt, **params)
    return buf.getvalue()


@pytest.fixture(scope="session")
def cameraman() -> np.ndarray:
    """A real photo: a man with a camera on a tripod, sky and grass behind (512×512, gray)."""
    gray = photos.camera()
    return np.dstack([gray, gray, gray])


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """A real colour portrait (512×512)."""
    return photos.astronaut()


@pytest.fixture(scope="session")
def portrait_jpeg(astronaut) -> bytes:
    return encode(astronaut, "JPEG", quality=92)
