"""What the web can do to a job: submit it, change its look, edit its mask, retry, purge.

Views, the API and commands call these; they never talk to Celery or storage
themselves. Work is queued by task name, so the web process never imports
the worker's code (nor OpenCV, nor ONNX Runtime). Every value arrives typed
and checked (Options, edits.Batch): nothing here parses a request.

Three queues: `jobs` holds first analyses of single uploads, `bulk` those
of the photos of a batch, `renders` new looks of finished jobs. A worker
takes from each in turn (the Redis transport's round robin), so none can
starve another: a flood of look changes costs an upload at most one short
render per job ahead of it, and every job has at most one render queued
(newer requests join it, see protocol.py); a batch of twenty photos costs
another client's single upload at most one photo of the batch.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from celery.result import AsyncResult
from django.conf import settings

from config import celery_app
from editor.imaging import edits
from editor.imaging.options import Options
from editor.jobs import files, limits, protocol, records
from editor.jobs.records import Job
from editor.jobs.refusals import BUSY, Refused

logger = logging.getLogger(__name__)

PROCESS_TASK = "editor.tasks.process_job"
RENDER_TASK = "editor.tasks.render_job"
NO_RESULT = "This job has no result yet."


def job_submit(
    *,
    tool: str,
    data: bytes,
    filename: str,
    extension: str,
    options: Options | None = None,
    bulk: bool = False,
) -> Job:
    """Store the upload and queue its job; nothing is left behind if the queue is down.
    A photo of a batch (`bulk`) waits in the bulk queue."""
    if settings.MAX_QUEUED_JOBS and protocol.queue_length() >= settings.MAX_QUEUED_JOBS:
        raise Refused(BUSY, 503, retry_after=60)
    job = records.job_create(
        job_id=str(uuid.uuid4()),
        tool=tool,
        filename=filename,
        extension=extension,
        options=asdict(options or Options()),
    )
    files.write(job.id, job.original, data)
    protocol.mark_queued(job.id)  # before the record: a visible job is always a known one
    records.job_save(job)  # meta.json last: a job is visible only once its original is complete
    try:
        _send(PROCESS_TASK, job, queue=settings.BULK_QUEUE if bulk else settings.JOBS_QUEUE)
    except Exception:
        files.delete(job.id)
        raise
    return job


def job_change_look(*, job: Job, options: Options, client: str = "") -> int:
    """Queue a render of this look from the stored mask; returns the request's number.

    A job still being analysed takes the look as its first one."""
    limits.spend_render(client=client, job_id=job.id)
    return _request(job, options)


def job_edit_mask(
    *, job: Job, batch: edits.Batch, reset: bool = False, undo: bool = False, client: str = ""
) -> int:
    """Add one request's fixes to the job's mask edits (after a reset or an undo, if asked)
    and queue a render that applies them; the look stays. Returns the request's number.

    Raises edits.EditError (a message for the sender) for edits off the photo, and
    Refused for a job with no result yet or while another edit is being stored.
    """
    render = files.read_render(job.id)
    if render is None:
        raise Refused(NO_RESULT, 409)
    batch.check(render.width, render.height)
    if not (batch or reset or undo):
        raise edits.EditError("Send at least one tap or stroke, or reset or undo.")
    with protocol.edits_lock(job.id):  # read, change and store as one: no request is lost
        stored = edits.Edits() if reset else job_edits(job=job)
        base = stored.undone() if undo else stored
        # Every later render paints all of a job's edits: their sum stays far below the
        # worker's time limit. Refused requests are not counted against the rate limit.
        edits.check_budget(base, batch, render.width, render.height)
        limits.spend_render(client=client, job_id=job.id)
        files.write_json(job.id, files.EDITS, base.then(batch).to_dict())
    return _request(job, None)


def job_edits(*, job: Job) -> edits.Edits:
    """The mask edits stored with the job (none if it has none)."""
    return edits.Edits.stored(files.read_json(job.id, files.EDITS, {}))


def job_wants_look(*, job: Job, options: Options) -> None:
    """Record the look a job still being analysed gets first; no render is queued
    (its analysis renders it, or queues the render itself)."""
    protocol.request_render(job.id, options)
    protocol.forget_queued_render(job.id)
    if protocol.has_result(job.id):  # its first look landed a moment ago
        _request(job, None)


def job_catch_up(*, job: Job) -> None:
    """For the worker: queue a render for the requests made while this job's last render
    was being made (a look chosen during the analysis)."""
    _request(job, None)


def job_retry(*, job: Job) -> None:
    """Start a failed job again from its upload."""
    limits.spend_retry(job_id=job.id)
    AsyncResult(job.id).forget()  # start from a clean state
    protocol.crashes_forget(job.id)
    protocol.forget_queued_render(job.id)
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


def time_limits() -> dict:
    """Celery writes the limits into each job's message, so the sender's settings rule."""
    return {
        "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
        "time_limit": settings.CELERY_TASK_TIME_LIMIT,
    }


def _request(job: Job, options: Options | None) -> int:
    """Number a render request and queue a render unless one is queued already."""
    seq, fresh = protocol.request_render(job.id, options)
    AsyncResult(job.id).forget()  # the page shows "updating" until the new render lands
    if fresh:
        celery_app.send_task(RENDER_TASK, args=[job.id], task_id=job.id, **time_limits())
    return seq


def _send(task: str, job: Job, queue: str | None = None) -> None:
    """`queue`: where a first analysis waits (None: the task's own route)."""
    protocol.mark_queued(job.id)  # before the message: a worker may finish it at once
    routed = {"queue": queue} if queue else {}
    celery_app.send_task(task, args=[job.id], task_id=job.id, **routed, **time_limits())
