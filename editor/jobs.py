"""Jobs: a folder in storage plus a Celery result in Redis.

There is no SQL row. The web process writes `jobs/<id>/meta.json` and the
original; the worker reads them by id and writes the outputs beside them; the
job's state lives in the Celery result backend under the same id.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from celery.result import AsyncResult
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from .imaging.errors import ImageError
from .imaging.pipeline import EXTENSIONS, Rendered

TOOL_SLUGS = {"portrait": "portrait", "cutout": "remove-background"}
STAGES = {
    "queued": "Waiting for a free worker",
    "segmenting": "Finding the subject",
    "compositing": "Blending the layers",
    "saving": "Saving your result",
}
GENERIC_ERROR = "Something went wrong on our side while processing this photo. Please try again."
OUTPUTS = ("result", "mask")


@dataclass(frozen=True)
class Job:
    id: str
    tool: str
    filename: str
    original: str  # storage path of the upload
    created: str

    def path(self, name: str) -> str:
        return f"jobs/{self.id}/{name}"

    @property
    def result_path(self) -> str:
        return self.path(f"result.{EXTENSIONS[self.tool]}")

    @property
    def mask_path(self) -> str:
        return self.path("mask.png")

    @property
    def download_name(self) -> str:
        stem = self.filename.rsplit(".", 1)[0][:60] or "photo"
        return f"{stem}-{TOOL_SLUGS[self.tool]}.{EXTENSIONS[self.tool]}"


@dataclass(frozen=True)
class Status:
    state: str  # queued | running | done | failed
    stage: str
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def label(self) -> str:
        return STAGES.get(self.stage, "")

    @property
    def steps(self) -> list[tuple[str, str]]:
        return list(STAGES.items())


def create(data: bytes, tool: str, filename: str, extension: str) -> Job:
    job_id = str(uuid.uuid4())
    job = Job(
        id=job_id,
        tool=tool,
        filename=filename,
        original=f"jobs/{job_id}/original.{extension}",
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    default_storage.save(job.original, ContentFile(data))
    # meta.json last: a job is visible only once its original is complete.
    default_storage.save(job.path("meta.json"), ContentFile(json.dumps(asdict(job))))
    return job


def enqueue(job: Job) -> None:
    from .tasks import process_job

    AsyncResult(job.id).forget()  # a retry starts from a clean state
    process_job.apply_async(args=[job.id], task_id=job.id)


def load(job_id: uuid.UUID | str) -> Job | None:
    path = f"jobs/{job_id}/meta.json"
    if not default_storage.exists(path):
        return None
    with default_storage.open(path) as f:
        return Job(**json.load(f))


def read_original(job: Job) -> bytes:
    with default_storage.open(job.original) as f:
        return f.read()


def save_outputs(job: Job, rendered: Rendered) -> None:
    """Overwrite the outputs; running a job twice leaves the same files."""
    for path, content in ((job.result_path, rendered.image), (job.mask_path, rendered.mask)):
        default_storage.delete(path)
        default_storage.save(path, ContentFile(content))


def status(job: Job) -> Status:
    result = AsyncResult(job.id)
    state = result.state
    if state == "PENDING":
        return Status("queued", "queued")
    if state == "SUCCESS":
        return Status("done", "saving")
    if state in ("FAILURE", "REVOKED"):
        exc = result.result
        return Status("failed", "", str(exc) if isinstance(exc, ImageError) else GENERIC_ERROR)
    meta = result.info if isinstance(result.info, dict) else {}
    return Status("running", meta.get("stage", "segmenting"))


def model_args(model: str | None = None) -> dict:
    """The pipeline's model and limit arguments, from settings."""
    entry = settings.MODEL_MANIFEST[model or settings.SEGMENTATION_MODEL]
    return {
        "model_path": str(settings.MODELS_DIR / entry["file"]),
        "model_sha256": entry["sha256"],
        "max_pixels": settings.MAX_MEGAPIXELS * 1_000_000,
    }
