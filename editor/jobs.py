"""Jobs: a folder in storage plus a Celery result in Redis.

There is no SQL row. The web process writes `jobs/<id>/original.*` and then
`meta.json`; the worker reads them by id and writes the outputs beside them;
the job's state lives in the Celery result backend under the same id.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
import unicodedata
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from celery.exceptions import TimeLimitExceeded
from celery.result import AsyncResult
from django.conf import settings
from django.core.files.storage import default_storage
from redis import Redis

from . import storage
from .imaging.errors import ImageError
from .imaging.pipeline import Options

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Job:
    id: str
    tool: str
    filename: str
    original: str  # storage path of the upload
    created: str
    options: dict = field(default_factory=dict)

    def path(self, name: str) -> str:
        return f"jobs/{self.id}/{name}"

    @property
    def mask_path(self) -> str:
        return self.path("mask.png")

    @property
    def advice_path(self) -> str:
        return self.path("advice.json")

    @property
    def result_info_path(self) -> str:
        return self.path("result.json")

    @property
    def original_preview_path(self) -> str:
        return self.path("original-preview.jpg")

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


def submit(
    tool: str, *, data: bytes, filename: str, extension: str, options: Options | None = None
) -> Job:
    """Store the upload and queue its job; nothing is left behind if the queue is down."""
    job = _create(data, tool, filename, extension, asdict(options or Options()))
    try:
        enqueue(job)
    except Exception:
        storage.delete(job.id)
        raise
    return job


def _create(data: bytes, tool: str, filename: str, extension: str, options: dict) -> Job:
    job_id = str(uuid.uuid4())
    job = Job(
        id=job_id,
        tool=tool,
        filename=clean_filename(filename),
        original=f"jobs/{job_id}/original.{extension}",
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        options=options,
    )
    storage.write(job.original, data)
    # meta.json last: a job is visible only once its original is complete.
    storage.write(job.path("meta.json"), json.dumps(asdict(job)).encode())
    return job


def enqueue(job: Job) -> None:
    from .tasks import process_job

    process_job.apply_async(args=[job.id], task_id=job.id, **time_limits())
    _redis().set(_queued_key(job.id), time.time(), ex=settings.JOB_RETENTION_SECONDS)


def change_look(job: Job, options: Options) -> str:
    """Queue a re-render from the stored mask; returns the revision it will have."""
    from .tasks import render_job

    AsyncResult(job.id).forget()  # the page shows "updating" until the new look lands
    chosen = asdict(options)
    render_job.apply_async(args=[job.id, chosen], task_id=job.id, **time_limits())
    return revision(chosen)


def revision(options: dict) -> str:
    """A short name for a set of options: the same look always gets the same files."""
    return hashlib.sha1(json.dumps(options, sort_keys=True).encode()).hexdigest()[:10]


def time_limits() -> dict:
    """Celery writes the limits into each job's message, so the sender's settings rule."""
    return {
        "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
        "time_limit": settings.CELERY_TASK_TIME_LIMIT,
    }


def retry(job: Job) -> None:
    AsyncResult(job.id).forget()  # start from a clean state
    _redis().delete(_attempts_key(job.id, "process"))
    enqueue(job)


def count_attempt(job_id: str, kind: str) -> int:
    """How many times this job (or this look of it) has been started, this one included.

    A photo that kills its worker outright is handed back to the queue each
    time; counting the starts is what stops it from looping until it expires.
    """
    key = _attempts_key(job_id, kind)
    started = _redis().incr(key)
    _redis().expire(key, settings.JOB_RETENTION_SECONDS)
    return started


def _attempts_key(job_id: str, kind: str) -> str:
    return f"softfocus:attempts:{job_id}:{kind}"


@functools.cache
def _redis() -> Redis:
    return Redis.from_url(settings.REDIS_URL)


def load(job_id: uuid.UUID | str) -> Job | None:
    found = storage.read_json(f"jobs/{job_id}/meta.json", None)
    return Job(**found) if found else None


def purge_expired(now: datetime | None = None) -> list[str]:
    """Delete every job folder older than the retention time; return their ids."""
    if not default_storage.exists("jobs"):
        return []
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=settings.JOB_RETENTION_SECONDS)
    folders, _ = default_storage.listdir("jobs")
    expired = []
    for job_id in folders:
        try:
            if storage.uploaded(job_id) < cutoff:
                storage.delete(job_id)
                AsyncResult(job_id).forget()
                expired.append(job_id)
        except OSError:  # a worker was writing into it: the next round deletes it
            logger.warning("could not purge job %s yet", job_id, exc_info=True)
    return expired


def last_result(job: Job) -> dict:
    """The last finished look (result.json), or {} before the first one lands."""
    return storage.read_json(job.result_info_path, {})


def status(job: Job) -> Status:
    result = AsyncResult(job.id)
    state = result.state
    shown = {"result": last_result(job), "warnings": _warnings(job)}
    if state == "PENDING":
        # Queued for ever: its message was lost (a Redis without persistence restarted).
        if not shown["result"] and _waiting(job) > settings.JOB_QUEUED_STALE_SECONDS:
            return Status("failed", "", LOST, **shown)
        return Status("queued", "queued", **shown)
    if state == "SUCCESS":
        return Status("done", "saving", **shown)
    if state in ("FAILURE", "REVOKED"):
        return Status("failed", "", _visitor_message(result.result), **shown)
    meta = result.info if isinstance(result.info, dict) else {}
    # A hard time limit kills a job well before this, so a running state this
    # old means its worker died; the job may still be redelivered and finish.
    if time.time() - meta.get("at", time.time()) > settings.JOB_STALE_SECONDS:
        return Status("failed", "", WORKER_LOST, **shown)
    return Status(
        "running", meta.get("stage", "segmenting"), preview=meta.get("preview", {}), **shown
    )


def _queued_key(job_id: str) -> str:
    return f"softfocus:queued:{job_id}"


def _waiting(job: Job) -> float:
    """Seconds since the job was last queued; since its upload if Redis forgot that too."""
    queued = _redis().get(_queued_key(job.id))
    if queued is None:
        return (datetime.now(UTC) - datetime.fromisoformat(job.created)).total_seconds()
    return time.time() - float(queued)


def _warnings(job: Job) -> list[dict]:
    """The advisor's warnings, each with the guide page that explains it."""
    found = storage.read_json(job.advice_path, [])
    return [{**w, "guide_url": f"/guide/{w['section']}"} for w in found]


def _visitor_message(exc: object) -> str:
    if isinstance(exc, ImageError):
        return str(exc)
    if isinstance(exc, TimeLimitExceeded):
        return TOO_SLOW
    return GENERIC_ERROR


def clean_filename(name: str) -> str:
    """The visitor's file name, kept only for naming downloads: no folders, no controls."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable())
    return name.strip(" .")[:120] or "photo"


def model_args(model: str | None = None) -> dict:
    """The pipeline's model and limit arguments, from settings."""
    entry = settings.MODEL_MANIFEST[model or settings.SEGMENTATION_MODEL]
    return {
        "model_path": str(settings.MODELS_DIR / entry["file"]),
        "model_sha256": entry["sha256"],
        "max_pixels": settings.MAX_MEGAPIXELS * 1_000_000,
    }
