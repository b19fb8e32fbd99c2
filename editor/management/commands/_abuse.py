"""Abusive clients for `make loadtest` and the tests: slow connections and a render flood.

Loopback only: they are pointed at a site the caller started itself.
"""

import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request


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
    """Asks for a new look of one job `per_second` times a second, alternating two looks."""

    def __init__(self, url: str, job_id: str, per_second: float = 4.0):
        super().__init__(daemon=True)
        self.endpoint = f"{url}/api/jobs/{job_id}/render"
        self.period = 1 / per_second
        self.statuses: dict[int, int] = {}
        self._done = threading.Event()

    def run(self) -> None:
        sent = 0
        while not self._done.wait(self.period):
            look = {"strength": "2.5" if sent % 2 else "0.5", "style": "lens"}
            sent += 1
            request = urllib.request.Request(
                self.endpoint, data=urllib.parse.urlencode(look).encode(), method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    json.load(response)
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                status = 0  # no answer at all
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def stop(self) -> None:
        self._done.set()
        self.join(35)

    def summary(self) -> str:
        sent = sum(self.statuses.values())
        answers = ", ".join(f"{code or 'none'}: {n}" for code, n in sorted(self.statuses.items()))
        return f"{sent} renders asked ({answers})"
