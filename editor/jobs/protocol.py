"""The render protocol, and every key the job layer keeps in Redis.

A visitor may change a job's look, or edit its mask, while a worker renders
it. The web never predicts what the worker will make: it records what was
asked for and numbers the request. Keys, all under `softfocus:`:

    render:wanted:<id>   the look asked for last (Options as JSON)
    render:seq:<id>      the number of the job's last request to render
    render:queued:<id>   set while a render task is queued; newer requests join it
    render:lock:<id>     held while a render decides whether it replaces the one on show
    edits:lock:<id>      held while a request changes the stored edits
    queued:<id>          when the job's analysis was last queued (epoch seconds)
    attempts:<id>:<kind> starts of a piece of work that never reached its end
    changed:<id>         a channel: the worker says "look again" when it stored something
    downloads:<client>   the client's downloads open now (a sorted set, by start time)

A render takes (look, number) as it starts (`take`), and result.json records
the number it answers: the page follows a request until the render on show
answers it or a later one. The revision, which names a render's files, is
computed by the worker alone (`revision`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict

from django.conf import settings
from kombu.exceptions import OperationalError
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError
from redis.exceptions import TimeoutError as RedisTimeoutError

from editor.imaging.errors import ImageError
from editor.imaging.options import Options
from editor.jobs import files
from editor.jobs.refusals import Refused

# What a request meets when Redis (or the broker on it) cannot be reached.
UNREACHABLE = (OperationalError, RedisConnectionError, RedisTimeoutError)
MAX_CRASHES = 2  # a photo that kills its worker this often is given up
LOOK_AT_MOST = 500  # a queue longer than this is "busy" enough; don't read it all
EDITS_WAIT = 5  # seconds a request waits for another one's edits to be stored
CRASHED = (
    "This photo stopped our worker twice, so we gave up on it. "
    "A smaller, re-exported or differently cropped version may work."
)
CONFLICT = "Another change to this mask is being saved. Please try again."


@functools.cache
def client() -> Redis:
    return Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5)


def _key(*parts: str) -> str:
    return "softfocus:" + ":".join(parts)


# Asking for a render (the web)


def request_render(job_id: str, options: Options | None = None) -> tuple[int, bool]:
    """Record a request (with a new look, or none: the edits changed) and number it.

    Returns the request's number and whether the caller must queue a render task
    (False: one is queued already and will take this request too).
    """
    redis = client()
    if options is not None:  # before the number: a render never answers a look older than it
        redis.set(_key("render", "wanted", job_id), json.dumps(asdict(options)), ex=_kept())
    seq = redis.incr(_key("render", "seq", job_id))
    redis.expire(_key("render", "seq", job_id), _kept() * 2)
    # Short-lived: should the queued task be lost, a later request queues another.
    fresh = redis.set(_key("render", "queued", job_id), 1, nx=True, ex=settings.JOB_STALE_SECONDS)
    return seq, bool(fresh)


def wanted_look(job_id: str) -> Options | None:
    """The look asked for last, if any (a look chosen while the photo was analysed, too)."""
    wanted = client().get(_key("render", "wanted", job_id))
    return Options(**json.loads(wanted)) if wanted else None


def latest_request(job_id: str) -> int:
    return int(client().get(_key("render", "seq", job_id)) or 0)


def forget_queued_render(job_id: str) -> None:
    client().delete(_key("render", "queued", job_id))


# Answering it (the worker)


def take(job_id: str) -> tuple[Options | None, int]:
    """The look to render now and the number of the request it answers. From here
    on, newer requests queue a render of their own."""
    forget_queued_render(job_id)
    seq = latest_request(job_id)  # before the look: the look is never older than the number
    return wanted_look(job_id), seq


def revision(options: Options, edits: dict | None) -> str:
    """A short name for a look and the mask edits under it: the same look, the same files.
    Only the worker calls this; the web learns a revision from result.json."""
    chosen = asdict(options)
    named = chosen if not edits else {"options": chosen, "edits": edits}
    return hashlib.sha1(json.dumps(named, sort_keys=True).encode()).hexdigest()[:10]


def render_lock(job_id: str):
    """Held while a render decides whether it replaces the job's current one."""
    return client().lock(_key("render", "lock", job_id), timeout=30)


def has_result(job_id: str) -> bool:
    """A job can change its look or mask once its first render is on show."""
    return files.read_render(job_id) is not None


@contextlib.contextmanager
def edits_lock(job_id: str) -> Iterator[None]:
    """One request at a time reads, changes and stores a job's edits; a request that
    cannot have the lock soon is answered with a conflict, never silently lost."""
    lock = client().lock(_key("edits", "lock", job_id), timeout=10, blocking_timeout=EDITS_WAIT)
    if not lock.acquire():
        raise Refused(CONFLICT, 409, retry_after=1)
    try:
        yield
    finally:
        with contextlib.suppress(LockError):  # expired meanwhile: nothing to release
            lock.release()


# Telling the page (through the status view's long poll)


def announce(job_id: str) -> None:
    """The worker stored something the page shows (a stage, a preview, a result)."""
    client().publish(_key("changed", job_id), 1)


def await_change(job_id: str, seconds: float) -> None:
    """Wait until the worker announces a change of this job, or `seconds` pass."""
    deadline = time.monotonic() + seconds
    channel = client().pubsub(ignore_subscribe_messages=True)
    try:
        channel.subscribe(_key("changed", job_id))
        while (left := deadline - time.monotonic()) > 0:
            if channel.get_message(timeout=left) is not None:  # None: the subscription itself
                return
    finally:
        channel.close()


# The analysis queue


def mark_queued(job_id: str) -> None:
    client().set(_key("queued", job_id), time.time(), ex=_kept())


def queued_at(job_id: str) -> float | None:
    """When the job was last queued; None when Redis does not know (it forgot, or never)."""
    queued = client().get(_key("queued", job_id))
    return float(queued) if queued is not None else None


def _analysis_queues() -> tuple[str, str]:
    return (settings.JOBS_QUEUE, settings.BULK_QUEUE)


def queue_length() -> int:
    """Jobs waiting for a worker, single uploads and batches' photos (renders not counted)."""
    with client().pipeline(transaction=False) as pipe:
        for queue in _analysis_queues():
            pipe.llen(queue)
        return sum(pipe.execute())


def jobs_ahead(job_id: str) -> int | None:
    """How many first analyses a worker takes before this job's; None when its message
    is no longer in the broker's lists (a worker has it, or it was lost).

    Kombu's Redis transport LPUSHes messages and workers BRPOP them, so the ones
    to the right go first; workers take from the two queues in turn, so a job
    `n` deep in one also waits for up to `n` of the other."""
    queues = _analysis_queues()
    for own, other in (queues, queues[::-1]):
        position = _position(own, job_id)
        if position is not None:
            return position + min(position, client().llen(other))
    if any(client().llen(queue) > LOOK_AT_MOST for queue in queues):
        return LOOK_AT_MOST  # somewhere further back
    return None


def _position(queue: str, job_id: str) -> int | None:
    """Where the job is among the oldest LOOK_AT_MOST of a queue, 0 next."""
    waiting = client().lrange(queue, -LOOK_AT_MOST, -1)
    needle = job_id.encode()  # a job's message names it (task id, argument): no need to parse
    for position, raw in enumerate(reversed(waiting)):
        if needle in raw:
            return position
    return None


# Crash counting


@contextlib.contextmanager
def crash_counter(job_id: str, kind: str) -> Iterator[None]:
    """Count the starts of a piece of work that never reached its end.

    A photo that kills its worker outright is handed back to the queue each
    time; the count it leaves behind stops it from looping until it expires.
    Any ending, good or bad, clears it, so a job may be re-rendered for ever.
    """
    key = _key("attempts", job_id, kind)
    started = client().incr(key)
    client().expire(key, _kept())
    try:
        if started > MAX_CRASHES:
            raise ImageError(CRASHED)
        yield
    finally:
        client().delete(key)


def crashes_forget(job_id: str) -> None:
    client().delete(_key("attempts", job_id, "process"))


def _kept() -> int:
    return settings.JOB_RETENTION_SECONDS


# Downloads open at once (the cap itself is editor/jobs/limits.py's)

DOWNLOAD_HELD_AT_MOST = 900  # seconds; a slot its process never gave back frees itself


def take_download_slot(client_key: str, limit: int) -> str | None:
    """A token for one more open download of this client, or None when `limit` are open.
    One MULTI, so that many requests at once cannot all squeeze in."""
    key, token, now = _key("downloads", client_key), uuid.uuid4().hex, time.time()
    with client().pipeline() as pipe:
        pipe.zremrangebyscore(key, 0, now - DOWNLOAD_HELD_AT_MOST)
        pipe.zadd(key, {token: now})
        pipe.zcard(key)
        pipe.expire(key, DOWNLOAD_HELD_AT_MOST)
        open_now = pipe.execute()[2]
    if open_now <= limit:
        return token
    client().zrem(key, token)
    return None


def give_download_slot(client_key: str, token: str) -> None:
    client().zrem(_key("downloads", client_key), token)


def downloads_open(client_key: str) -> int:
    return client().zcard(_key("downloads", client_key))
