"""Fixed-window counters in the shared cache (Redis): how often a client, or a job, may act;
and how many downloads a client may have open at once."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core.cache import cache

from editor.jobs import protocol
from editor.jobs.protocol import UNREACHABLE
from editor.jobs.refusals import Refused


def allow(bucket: str, key: str, limit: int, window: int) -> bool:
    """Count one more action; False once `limit` were counted in this window (0: no limit)."""
    if limit <= 0 or not key:
        return True
    name = f"{bucket}:{key}"
    try:
        cache.add(name, 0, timeout=window)  # starts the window; no-op if it is running
        return cache.incr(name) <= limit
    except (*UNREACHABLE, ValueError):
        # Redis down: let it through, the queue will answer with a 503.
        return True


def spend_render(*, client: str = "", job_id: str = "") -> None:
    """Count one change of look or mask. A job's own limit is counted per client, so
    nobody who learns a job's id can spend its owner's changes; a change refused by
    it is not counted against the client's limit. A change of a whole batch counts
    once for the client (job_id ""), so it cannot run out halfway through."""
    window = settings.RENDER_RATE_WINDOW
    if job_id and not allow(
        "renders-job", f"{job_id}:{client}", settings.JOB_RENDER_RATE_LIMIT, window
    ):
        raise _too_many(window)
    if not allow("renders-client", client, settings.RENDER_RATE_LIMIT, window):
        raise _too_many(window)


def spend_retry(*, job_id: str) -> None:
    if not allow("retries", job_id, settings.RETRY_LIMIT, settings.RENDER_RATE_WINDOW):
        raise _too_many(settings.RENDER_RATE_WINDOW)


def _too_many(window: int) -> Refused:
    minutes = max(1, window // 60)
    return Refused(
        f"That is more changes than we can make in {minutes} minutes. "
        "Please wait a little and try again.",
        429,
        retry_after=window,
    )


# Downloads open at once, per client (counted in protocol.py)


def open_download(client: str) -> str | None:
    """Take one of the client's download slots. Returns a token for `close_download`
    ("" when nothing was counted), or None when the client has all its slots open."""
    limit = settings.MAX_DOWNLOADS_PER_CLIENT
    if limit <= 0 or not client:
        return ""
    try:
        return protocol.take_download_slot(client, limit)
    except UNREACHABLE:
        return ""  # Redis down: the download needs none, let it through uncounted


def close_download(client: str, token: str) -> None:
    if not token:
        return
    with contextlib.suppress(*UNREACHABLE):  # Redis away: the slot frees itself in time
        protocol.give_download_slot(client, token)
