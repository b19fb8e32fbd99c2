"""Abusive clients for `make loadtest` and the tests: slow connections and a render flood.

Loopback only: they are pointed at a site the caller started itself.
"""

import io
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

import numpy as np
from PIL import Image
from skimage import data as photos


class SlowClients(threading.Thread):
    """Holds `count` connections that send a request's headers one line every `interval` s.

    None of them ever finishes its headers. A connection the server closes is
    counted in `dropped` and opened again, as an attacker would.
    """

    def __init__(self, host: str, port: int, count: int = 50, interval: float = 5.0):
        super().__init__(daemon=True)
        self.address, self.count, self.interval = (host, port), count, interval
        self.sockets: list[socket.socket] = []
        self.dropped = 0
        self._done = threading.Event()

    def open_all(self) -> "SlowClients":
        """Open every connection now (so the caller knows they are held), then start."""
        self.sockets = [self._open() for _ in range(self.count)]
        self.start()
        return self

    def run(self) -> None:
        line = 0
        while not self._done.wait(self.interval):
            line += 1
            for i, sock in enumerate(self.sockets):
                try:
                    if _closed_by_server(sock):
                        raise ConnectionError
                    sock.sendall(f"X-Slow-{line}: {'a' * 20}\r\n".encode())
                except OSError:
                    sock.close()
                    self.dropped += 1
                    try:
                        self.sockets[i] = self._open()
                    except OSError:
                        pass  # the server refuses connections: count it next round

    def stop(self) -> None:
        self._done.set()
        self.join(self.interval + 5)
        for sock in self.sockets:
            sock.close()

    def _open(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=10)
        host = f"{self.address[0]}:{self.address[1]}"
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n".encode())
        return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """True when the server has answered (say, a timeout) or hung up."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
        return True  # an answer (say, 400 or 408), or the end of the connection
    except BlockingIOError:
        return False  # nothing to read: still waiting for our headers
    finally:
        sock.setblocking(True)


class RenderFlood(threading.Thread):
    """Asks for new looks `per_second` times a second, alternating between jobs and looks.

    Alternating jobs defeats the worker's cache of the last photo's layers,
    as the attack that found this did.
    """

    def __init__(self, url: str, job_ids: list[str], per_second: float = 4.0):
        super().__init__(daemon=True)
        self.endpoints = [f"{url}/api/jobs/{job_id}/render" for job_id in job_ids]
        self.period = 1 / per_second
        self.statuses: dict[int, int] = {}
        self._done = threading.Event()

    def run(self) -> None:
        sent = 0
        while not self._done.wait(self.period):
            look = {"strength": "2.5" if sent % 4 < 2 else "0.5", "style": "lens"}
            endpoint = self.endpoints[sent % len(self.endpoints)]
            sent += 1
            request = urllib.request.Request(
                endpoint, data=urllib.parse.urlencode(look).encode(), method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code  # 429 once the limits bite: the defence working
            except OSError:
                status = 0  # no answer at all
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def stop(self) -> None:
        self._done.set()
        self.join(35)

    def summary(self) -> str:
        sent = sum(self.statuses.values())
        answers = ", ".join(f"{code or 'none'}: {n}" for code, n in sorted(self.statuses.items()))
        return f"{sent} new looks asked ({answers})"


class Abuse:
    """A render flood on two finished 12 MP jobs and 50 slow connections, beside a burst.

    `post_photo(api_url, tool, photo)` uploads and answers the API's JSON.
    Before the burst it times one small upload alone and one under the abuse:
    how much another visitor's job is delayed.
    """

    def __init__(
        self,
        url: str,
        post_photo: Callable[[str, str, bytes], dict],
        photo: bytes,
        slow: int = 50,
        per_second: float = 4,
    ):
        self.url, self.post_photo, self.photo = url, post_photo, photo
        self.slow_count, self.per_second = slow, per_second
        self.flood: RenderFlood | None = None
        self.slow: SlowClients | None = None

    def start(self) -> list[str]:
        alone = self._time_job(self.photo)
        big = _twelve_megapixels()
        targets = [self._finish(big) for _ in range(2)]
        address = urllib.parse.urlsplit(self.url)
        self.slow = SlowClients(address.hostname, address.port, self.slow_count).open_all()
        self.flood = RenderFlood(self.url, targets, self.per_second)
        self.flood.start()
        time.sleep(8)  # let the flood build its backlog first
        during = self._time_job(self.photo)
        return [
            f"a small upload, start to result: {alone:.1f} s alone (reference), "
            f"{during:.1f} s during a render flood ({self.per_second:g}/s on two 12 MP jobs) "
            f"and {self.slow_count} slow connections"
        ]

    def stop(self) -> list[str]:
        self.flood.stop()
        self.slow.stop()
        return [
            f"abusive client: {self.flood.summary()}; {self.slow_count} slow connections held, "
            f"{self.slow.dropped} dropped by the server and reopened"
        ]

    def _finish(self, photo: bytes) -> str:
        created = self.post_photo(f"{self.url}/api/jobs", "portrait", photo)
        _until_done(created["status_url"])
        return created["id"]

    def _time_job(self, photo: bytes) -> float:
        started = time.monotonic()
        _until_done(self.post_photo(f"{self.url}/api/jobs", "cutout", photo)["status_url"])
        return time.monotonic() - started


def _until_done(status_url: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.load(urllib.request.urlopen(status_url, timeout=30))
        if state["status"] == "done":
            return
        if state["status"] == "failed":
            raise RuntimeError(f"{status_url}: {state['error']}")
        time.sleep(0.2)
    raise RuntimeError(f"{status_url}: not done in {timeout:.0f} s")


def _twelve_megapixels() -> bytes:
    pixels = np.asarray(Image.fromarray(photos.astronaut()).resize((4000, 3000)))
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=90)
    return buf.getvalue()


class IdleReaders:
    """`count` connections that each ask for `path`, then read nothing while they are held.

    Each keeps a receive window of a few kilobytes, so a server sending a large
    download is stuck writing to it after a megabyte or two, as with a client
    that stalls on purpose.
    """

    def __init__(self, host: str, port: int, path: str, count: int = 300):
        self.address, self.path, self.count = (host, port), path, count
        self.sockets: list[socket.socket] = []

    def open_all(self) -> "IdleReaders":
        for _ in range(self.count):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(10)
            sock.connect(self.address)
            host = f"{self.address[0]}:{self.address[1]}"
            sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            self.sockets.append(sock)
        return self

    def statuses(self) -> dict[int, int]:
        """How many connections got which status so far (0: no answer yet, -1: reset),
        read without taking anything off the connection."""
        counted: dict[int, int] = {}
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                head = sock.recv(12, socket.MSG_PEEK)  # "HTTP/1.1 200"
                status = int(head[9:12]) if len(head) == 12 else 0
            except (BlockingIOError, ValueError):
                status = 0
            except OSError:
                status = -1  # reset by the server
            finally:
                sock.setblocking(True)
            counted[status] = counted.get(status, 0) + 1
        return counted

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


class BatchBeside:
    """One client's batch of `count` photos of `megapixels` MP, then another client's
    small upload: how long the small one takes against its time alone.

    `post_batch(api_url, tool, photos)` uploads a batch and answers the API's JSON.
    """

    def __init__(
        self,
        url: str,
        post_photo: Callable[[str, str, bytes], dict],
        post_batch: Callable[[str, str, list[bytes]], dict],
        small: bytes,
        count: int = 20,
        megapixels: float = 40,
    ):
        self.url, self.post_photo, self.post_batch = url, post_photo, post_batch
        self.small, self.count, self.megapixels = small, count, megapixels

    def run(self) -> list[str]:
        alone = self._time_small()
        width = round((self.megapixels * 1e6 * 4 / 3) ** 0.5)
        pixels = np.asarray(Image.fromarray(photos.astronaut()).resize((width, width * 3 // 4)))
        shots = []
        for n in range(self.count):  # each a little different, as a real batch would be
            buf = io.BytesIO()
            Image.fromarray(np.roll(pixels, n * 7, axis=1)).save(buf, "JPEG", quality=85)
            shots.append(buf.getvalue())
        started = time.monotonic()
        batch = self.post_batch(f"{self.url}/api/batches", "portrait", shots)
        sent = time.monotonic() - started
        during = self._time_small()
        state = json.load(urllib.request.urlopen(batch["status_url"], timeout=30))
        done = sum(job["status"] == "done" for job in state["jobs"])
        return [
            f"a small upload, start to result: {alone:.1f} s alone (reference), "
            f"{during:.1f} s just after another client's batch of {self.count} x "
            f"{self.megapixels:g} MP photos ({during / alone:.1f}x; the batch took {sent:.1f} s "
            f"to upload and had {done} of {self.count} photos done when the small one was)"
        ]

    def _time_small(self) -> float:
        started = time.monotonic()
        _until_done(self.post_photo(f"{self.url}/api/jobs", "cutout", self.small)["status_url"])
        return time.monotonic() - started
