"""What the web can do to a job: submit it, change its look, retry it, purge old ones.

Views, the API and commands call these; they never talk to Celery or storage
themselves. Work is queued by task name, so the web process never imports
the worker's code (nor OpenCV, nor ONNX Runtime).

Two queues: `jobs` holds first analyses, `renders` holds new looks of
finished jobs. A worker takes from both in turn (the Redis transport's
round robin), so neither can starve the other: a flood of look changes
costs an upload at most one short render per job ahead of it, and every job
has at most one render queued (newer requests replace its options).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from celery.result import AsyncResult
from django.conf import settings

from config import celery_app
from editor.imaging import edits
from editor.imaging.options import Options
from editor.jobs import files, records
from editor.jobs.records import Job
from editor.policy import ratelimit

logger = logging.getLogger(__name__)

PROCESS_TASK = "editor.tasks.process_job"
RENDER_TASK = "editor.tasks.render_job"
BUSY = "We are very busy right now. Please try again in a minute."


class Refused(Exception):
    """The request is fine but cannot be taken now; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int, retry_after: int | None = None):
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


def job_submit(
    *, tool: str, data: bytes, filename: str, extension: str, options: Options | None = None
) -> Job:
    """Store the upload and queue its job; nothing is left behind if the queue is down."""
    if settings.MAX_QUEUED_JOBS and queue_length() >= settings.MAX_QUEUED_JOBS:
        raise Refused(BUSY, 503, retry_after=60)
    job = records.job_create(
        job_id=str(uuid.uuid4()),
        tool=tool,
        filename=filename,
        extension=extension,
        options=asdict(options or Options()),
    )
    files.write(job.id, job.original, data)
    records.job_save(job)  # meta.json last: a job is visible only once its original is complete
    try:
        _send(PROCESS_TASK, job)
    except Exception:
        files.delete(job.id)
        raise
    return job


def job_change_look(*, job: Job, options: Options, client: str = "") -> str:
    """Queue a new look from the stored mask; returns the revision it will have."""
    renders_count(client=client)
    _limit("renders-job", job.id, settings.JOB_RENDER_RATE_LIMIT)
    chosen = job_want_look(job=job, options=options)
    job_rerender(job=job)
    return files.revision(chosen, files.read_json(job.id, files.EDITS, None))


def renders_count(*, client: str) -> None:
    """Count one change of look against the client's limit ("" counts nothing): a change
    of a whole batch counts once, so it cannot run out halfway through the batch."""
    _limit("renders-client", client, settings.RENDER_RATE_LIMIT)


def job_want_look(*, job: Job, options: Options) -> dict:
    """Record the look the job's next render makes; a job still being analysed gets it
    as its first look. Returns the options as stored."""
    chosen = asdict(options.check(job.tool))
    records.redis_client().set(
        _wanted_key(job.id), json.dumps(chosen), ex=settings.JOB_RETENTION_SECONDS
    )
    return chosen


def look_wanted(job_id: str) -> dict | None:
    """The look last asked for, if any (the worker's first render uses it too)."""
    wanted = records.redis_client().get(_wanted_key(job_id))
    return json.loads(wanted) if wanted else None


def job_edit_mask(*, job: Job, body: object, client: str = "") -> str:
    """Add the visitor's fixes to the job's mask edits and queue a render that applies them.

    `body` is the API's JSON: `{"keep": [[x, y]], "remove": [...], "strokes": [...]}`,
    which adds to the stored edits, with `"reset": true` (start from none) or
    `"undo": true` (drop the last request's) first. The look stays as it is.
    Raises edits.EditError with a message for the sender; returns the new revision.
    """
    render = files.read_render(job.id)
    if render is None:
        raise edits.EditError("This job has no result yet.")
    if not isinstance(body, dict):
        raise edits.EditError("The edits must be a JSON object.")
    fields = dict(body)
    reset, undo = fields.pop("reset", False), fields.pop("undo", False)
    if not isinstance(reset, bool) or not isinstance(undo, bool):
        raise edits.EditError("reset and undo must be true or false.")
    batch = edits.Batch.from_dict(fields).check(render.width, render.height)
    if not (batch or reset or undo):
        raise edits.EditError("Send at least one tap or stroke, or reset or undo.")
    _limit("renders-client", client, settings.RENDER_RATE_LIMIT)
    _limit("renders-job", job.id, settings.JOB_RENDER_RATE_LIMIT)
    stored = edits.Edits() if reset else job_edits(job=job)
    fixes = (stored.undone() if undo else stored).then(batch).to_dict()
    files.write_json(job.id, files.EDITS, fixes)
    job_rerender(job=job)
    wanted = records.redis_client().get(_wanted_key(job.id))
    return files.revision(json.loads(wanted) if wanted else render.options, fixes)


def job_edits(*, job: Job) -> edits.Edits:
    """The mask edits stored with the job (none if it has none)."""
    return edits.Edits.from_dict(files.read_json(job.id, files.EDITS, {}))


def job_rerender(*, job: Job) -> None:
    """Queue a render of the wanted look, unless one is already queued (it will take it).

    Every request gets the next number in the job's sequence; a render records
    the number it answers, and the job's current render is only ever replaced
    by one that answers a later request (two workers may render one job at once).
    """
    client = records.redis_client()
    client.incr(_seq_key(job.id))
    client.expire(_seq_key(job.id), settings.JOB_RETENTION_SECONDS * 2)
    AsyncResult(job.id).forget()  # the page shows "updating" until the new look lands
    # Short-lived: should the queued render be lost, a later request queues another.
    fresh = client.set(_render_queued_key(job.id), 1, nx=True, ex=settings.JOB_STALE_SECONDS)
    if fresh:
        _send(RENDER_TASK, job)


def render_take(job_id: str) -> tuple[dict | None, int]:
    """For the worker: the look to render now and the request it answers. From here on,
    newer requests queue a render of their own."""
    client = records.redis_client()
    client.delete(_render_queued_key(job_id))
    seq = int(client.get(_seq_key(job_id)) or 0)  # before the look: never newer than it
    wanted = client.get(_wanted_key(job_id))
    return (json.loads(wanted) if wanted else None), seq


def job_retry(*, job: Job) -> None:
    """Start a failed job again from its upload."""
    _limit("retries", job.id, settings.RETRY_LIMIT)
    AsyncResult(job.id).forget()  # start from a clean state
    records.crashes_forget(job.id)
    records.redis_client().delete(_render_queued_key(job.id))
    _send(PROCESS_TASK, job)


def jobs_purge(now: datetime | None = None) -> list[str]:
    """Delete every job finished (or failed) longer ago than the retention time.

    Queued and running jobs are never touched, however old their upload: a
    long queue must not eat the photos waiting in it.
    """
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=settings.JOB_RETENTION_SECONDS)
    expired = []
    for job_id in files.job_ids():
        try:
            if _expired(job_id, cutoff):
                files.delete(job_id)
                AsyncResult(job_id).forget()
                expired.append(job_id)
        except Exception:  # one odd job (a worker writing into it, a bad file) stops no other
            logger.warning("could not purge job %s yet", job_id, exc_info=True)
    return expired


def _expired(job_id: str, cutoff: datetime) -> bool:
    job = records.job_get(job_id)
    changed = files.last_change(job_id)
    if job is None:  # an upload that never completed (or a half-deleted job)
        return changed is None or changed < cutoff
    status = records.status(job)
    if not status.finished:
        return False
    finished = datetime.fromtimestamp(status.finished_at or 0, UTC)
    return max(finished, changed or finished) < cutoff


def queue_length() -> int:
    """Jobs waiting for a worker (renders of finished jobs not counted)."""
    return records.redis_client().llen(settings.JOBS_QUEUE)


def time_limits() -> dict:
    """Celery writes the limits into each job's message, so the sender's settings rule."""
    return {
        "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
        "time_limit": settings.CELERY_TASK_TIME_LIMIT,
    }


def _send(task: str, job: Job) -> None:
    celery_app.send_task(task, args=[job.id], task_id=job.id, **time_limits())
    records.mark_queued(job.id)


def _limit(bucket: str, key: str, limit: int) -> None:
    if key and not ratelimit.allow(bucket, key, limit, settings.RENDER_RATE_WINDOW):
        minutes = max(1, settings.RENDER_RATE_WINDOW // 60)
        raise Refused(
            f"That is more changes than we can make in {minutes} minutes. "
            "Please wait a little and try again.",
            429,
            retry_after=settings.RENDER_RATE_WINDOW,
        )


def _wanted_key(job_id: str) -> str:
    return f"softfocus:render:wanted:{job_id}"


def _render_queued_key(job_id: str) -> str:
    return f"softfocus:render:queued:{job_id}"


def _seq_key(job_id: str) -> str:
    return f"softfocus:render:seq:{job_id}"


def render_lock(job_id: str):
    """Held while a render decides whether it replaces the job's current one."""
    return records.redis_client().lock(f"softfocus:render:lock:{job_id}", timeout=30)
