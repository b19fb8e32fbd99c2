"""The one refusal type: a request that is fine but cannot be taken now, and why."""

from __future__ import annotations

BUSY = "We are very busy right now. Please try again in a minute."


class Refused(Exception):
    """`status` is the HTTP status to answer; `retry_after` (seconds) when waiting will help."""

    def __init__(self, message: str, status: int, retry_after: int | None = None):
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after
