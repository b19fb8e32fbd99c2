"""A job's record (meta.json) and its status (the Celery result in Redis, read for people).

There is no SQL row: the record is written once at upload, and the state of
the work lives in Celery's result backend under the job's id. This module
is the one place that turns those into "queued", "running", "done" or
"failed", with a message a visitor can read.
"""

from __future__ import annotations

import contextlib
import functools
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from celery.exceptions import TimeLimitExceeded
from celery.result import AsyncResult
from django.conf import settings
from redis import Redis

from editor.imaging.errors import ImageError
from editor.jobs import files

TOOL_SLUGS = {"portrait": "portrait", "cutout": "remove-background"}
STAGES = {
    "queued": "Waiting for a free worker",
    "segmenting": "Finding the subject",
    "compositing": "Blending the layers",
    "saving": "Saving your result",
}
GENERIC_ERROR = "Something went wrong on our side while processing this photo. Please try again."
TOO_SLOW = "Processing this photo took too long. A smaller or tighter-cropped photo will be faster."
WORKER_LOST = "The worker handling this photo stopped before it finished. Please try again."
CRASHED = (
    "This photo stopped our worker twice, so we gave up on it. "
    "A smaller, re-exported or differently cropped version may work."
)
LOST = "This photo has waited far too long and was probably lost from the queue. Please try again."
EXPIRED = "This job has expired and its photo was deleted. Please upload it again."
MAX_CRASHES = 2  # a photo that kills its worker this often is given up
LOOK_AT_MOST = 500  # a queue longer than this is "busy" enough; don't read it all


@dataclass(frozen=True)
class Job:
    """meta.json: what the visitor sent. Written once, never changed."""

    id: str
    tool: str
    filename: str
    original: str  # file name of the upload in the job's folder
    created: str
    options: dict = field(default_factory=dict)  # the first look

    @property
    def stem(self) -> str:
        return self.filename.rsplit(".", 1)[0][:60].strip() or "photo"


@dataclass(frozen=True)
class Status:
    state: str  # queued | running | done | failed
    stage: str
    error: str = ""
    # The last finished render (result.json): shown, even while a new look is made.
    result: dict = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)  # the advisor's, once analysed
    preview: dict = field(default_factory=dict)  # a new look's preview, before its full size
    finished_at: float | None = None  # when it became done or failed (epoch seconds)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def label(self) -> str:
        return STAGES.get(self.stage, "")

    @property
    def steps(self) -> list[tuple[str, str]]:
        return list(STAGES.items())

    @property
    def options(self) -> dict:
        return self.result.get("options", {})

    @property
    def result_format(self) -> str:
        extension = self.result.get("result", ".").rsplit(".", 1)[1]
        return {"jpg": "JPEG", "png": "PNG", "webp": "WebP"}.get(extension, "")


def job_create(*, job_id: str, tool: str, filename: str, extension: str, options: dict) -> Job:
    return Job(
        id=job_id,
        tool=tool,
        filename=clean_filename(filename),
        original=files.original_name(extension),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        options=options,
    )


def job_save(job: Job) -> None:
    files.write_json(job.id, files.META, asdict(job))


def job_get(job_id: object) -> Job | None:
    found = files.read_json(str(job_id), files.META, None)
    return Job(**found) if found else None


def clean_filename(name: str) -> str:
    """The visitor's file name, kept only for naming downloads: no folders, no controls."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable())
    return name.strip(" .")[:120] or "photo"


# Status


def status(job: Job) -> Status:
    task = AsyncResult(job.id)
    # One read of the task's state and details, so the two always agree.
    meta = task.backend.get_task_meta(task.id)
    state, info = meta["status"], meta.get("result")
    render = files.read_render(job.id)
    style = render.options.get("style", "") if render else ""
    shown = {"result": asdict(render) if render else {}, "warnings": _warnings(job, style)}
    if state == "PENDING":
        waited = _waiting(job)
        if waited > settings.JOB_QUEUED_STALE_SECONDS and jobs_ahead(job.id) is None:
            # Queued for ever: its message was lost (a Redis without persistence
            # restarted). A lost new look leaves the last one standing.
            lost_at = time.time() - waited + settings.JOB_QUEUED_STALE_SECONDS
            if render:
                return Status("done", "saving", finished_at=lost_at, **shown)
            return Status("failed", "", LOST, finished_at=lost_at, **shown)
        return Status("queued", "queued", **shown)
    done_at = _timestamp(meta.get("date_done"))
    if state == "SUCCESS":
        return Status("done", "saving", finished_at=done_at, **shown)
    if state in ("FAILURE", "REVOKED"):
        error = _visitor_message(task.backend.exception_to_python(info))
        return Status("failed", "", error, finished_at=done_at, **shown)
    progress = info if isinstance(info, dict) else {}
    # A hard time limit kills a job well before this, so a running state this
    # old means its worker died; the job may still be redelivered and finish.
    last_sign = progress.get("at", time.time())
    if time.time() - last_sign > settings.JOB_STALE_SECONDS:
        lost_at = last_sign + settings.JOB_STALE_SECONDS
        return Status("failed", "", WORKER_LOST, finished_at=lost_at, **shown)
    preview = progress.get("preview", {})
    return Status("running", progress.get("stage", "segmenting"), preview=preview, **shown)


def _timestamp(date_done: object) -> float:
    if isinstance(date_done, str):
        date_done = datetime.fromisoformat(date_done)
    if isinstance(date_done, datetime):
        if date_done.tzinfo is None:
            date_done = date_done.replace(tzinfo=UTC)
        return date_done.timestamp()
    return time.time()


def jobs_ahead(job_id: str) -> int | None:
    """How many first analyses a worker takes before this job's; None when its message
    is no longer in the broker's list (a worker has it, or it was lost).

    Kombu's Redis transport LPUSHes messages and workers BRPOP them, so the ones
    to the right go first. A new look of a finished job is not looked for: the
    page shows the last result meanwhile, never a queue."""
    queue = settings.JOBS_QUEUE
    waiting = redis_client().lrange(queue, -LOOK_AT_MOST, -1)  # the oldest ones
    needle = job_id.encode()  # a job's message names it (task id, argument): no need to parse
    for position, raw in enumerate(reversed(waiting)):
        if needle in raw:
            return position
    if len(waiting) == LOOK_AT_MOST and redis_client().llen(queue) > LOOK_AT_MOST:
        return LOOK_AT_MOST  # somewhere further back
    return None


def mark_queued(job_id: str) -> None:
    redis_client().set(_key("queued", job_id), time.time(), ex=settings.JOB_RETENTION_SECONDS)


def queued_at(job: Job) -> datetime:
    """When the job was last queued (its upload, or a retry); its upload if Redis forgot."""
    queued = redis_client().get(_key("queued", job.id))
    if queued is None:
        return datetime.fromisoformat(job.created)
    return datetime.fromtimestamp(float(queued), UTC)


def _waiting(job: Job) -> float:
    """Seconds since the job was last queued."""
    return (datetime.now(UTC) - queued_at(job)).total_seconds()


def _warnings(job: Job, style: str) -> list[dict]:
    """The advisor's warnings that hold for this blur style, each with its guide page."""
    found = files.read_json(job.id, files.ADVICE, [])
    shown = [w for w in found if style not in w.get("hidden_with", ())]
    return [{**w, "guide_url": f"/guide/{w['section']}"} for w in shown]


def _visitor_message(exc: object) -> str:
    if isinstance(exc, ImageError):
        return str(exc)
    if isinstance(exc, TimeLimitExceeded):
        return TOO_SLOW
    return GENERIC_ERROR


# Crash counting


@contextlib.contextmanager
def crash_counter(job_id: str, kind: str) -> Iterator[None]:
    """Count the starts of a piece of work that never reached its end.

    A photo that kills its worker outright is handed back to the queue each
    time; the count it leaves behind stops it from looping until it expires.
    Any ending, good or bad, clears it, so a job may be re-rendered for ever.
    """
    key = _key("attempts", job_id, kind)
    started = redis_client().incr(key)
    redis_client().expire(key, settings.JOB_RETENTION_SECONDS)
    try:
        if started > MAX_CRASHES:
            raise ImageError(CRASHED)
        yield
    finally:
        redis_client().delete(key)


def crashes_forget(job_id: str) -> None:
    redis_client().delete(_key("attempts", job_id, "process"))


def _key(*parts: str) -> str:
    return "softfocus:" + ":".join(parts)


@functools.cache
def redis_client() -> Redis:
    return Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
