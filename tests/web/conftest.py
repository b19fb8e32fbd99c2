import time

import pytest

from tests.conftest import encode


@pytest.fixture
def small_photo(astronaut) -> bytes:
    return encode(astronaut[::2, ::2], "JPEG", quality=90)


def wait_for(client, url: str, timeout: float = 60.0, until=("done", "failed")) -> dict:
    """Poll a JSON status URL until the job has finished, as the page's script does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in until:
            return body
        time.sleep(0.2)
    raise AssertionError(f"job at {url} did not finish in {timeout} s: {body}")
