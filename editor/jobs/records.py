"""A job's record (meta.json) and its status (the Celery result in Redis, read for people).

There is no SQL row: the record is written once at upload, and the state of
the work lives in Celery's result backend under the job's id. This module
is the one place that turns those into "queued", "running", "done" or
"failed", with a message a visitor can read.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from celery.exceptions import TimeLimitExceeded
from celery.result import AsyncResult
from django.conf import settings

from editor.imaging.errors import ImageError
from editor.jobs import files, protocol
from editor.jobs.states import FORGOTTEN, GENERIC_ERROR, LOST, STAGES, TOO_SLOW, WORKER_LOST


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
    shown = {"result": asdict(render) if render else {}, "warnings": _warnings(job, render)}
    if state == "PENDING":
        queued = protocol.queued_at(job.id)
        if queued is None:
            # Redis has forgotten the job (it restarted without persistence): storage
            # still knows whether it has a result. One without is offered a retry.
            since = datetime.fromisoformat(job.created).timestamp()
            if render:
                return Status("done", "saving", finished_at=since, **shown)
            return Status("failed", "", FORGOTTEN, finished_at=since, **shown)
        waited = time.time() - queued
        if waited > settings.JOB_QUEUED_STALE_SECONDS and protocol.jobs_ahead(job.id) is None:
            # Queued for ever: its message was lost. A lost new look leaves the last one.
            lost_at = queued + settings.JOB_QUEUED_STALE_SECONDS
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


def _warnings(job: Job, render: files.Render | None) -> list[dict]:
    """The advisor's warnings that hold for the render on show, each with its guide page.
    A render of edits carries the warnings that still hold for the edited mask."""
    if render is not None and render.warnings is not None:
        found = render.warnings
    else:
        found = files.read_json(job.id, files.ADVICE, [])
    style = render.options.get("style", "") if render else ""
    shown = [w for w in found if style not in w.get("hidden_with", ())]
    return [{**w, "guide_url": f"/guide/{w['section']}"} for w in shown]


def _visitor_message(exc: object) -> str:
    if isinstance(exc, ImageError):
        return str(exc)
    if isinstance(exc, TimeLimitExceeded):
        return TOO_SLOW
    return GENERIC_ERROR


def queued_since(job: Job) -> datetime:
    """When the job was last queued (its upload, or a retry); its upload if Redis forgot."""
    queued = protocol.queued_at(job.id)
    return datetime.fromtimestamp(queued, UTC) if queued else datetime.fromisoformat(job.created)
