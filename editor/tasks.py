import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import asdict

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings

from . import jobs
from .imaging import advice, encode, pipeline, segment
from .imaging.errors import ImageError, ModelError

logger = logging.getLogger(__name__)


@shared_task(bind=True, throws=(ImageError,))
def process_job(self, job_id: str) -> dict:
    """Segment the photo, store its mask, render the first result. Safe to run twice."""
    job = _load(job_id)
    report = _reporter(self)
    report("segmenting")
    with _visitor_errors(job_id):
        options = pipeline.Options(**job.options)
        analysis = pipeline.analyse(
            jobs.read(job, job.original), on_stage=report, **jobs.model_args()
        )
        warnings = advice.advise(analysis.photo.pixels, analysis.plain_mask, job.tool)
        report("compositing")
        rendered = pipeline.finish(analysis, job.tool, options)
        report("saving")
        jobs.write(job.mask_path, encode.mask_png(analysis.mask))
        jobs.write(job.advice_path, json.dumps([asdict(w) for w in warnings]).encode())
        return _store(job, rendered, options)


@shared_task(bind=True, throws=(ImageError,))
def render_job(self, job_id: str, options: dict) -> dict:
    """A new look from the stored mask: no network run."""
    job = _load(job_id)
    report = _reporter(self)
    report("compositing")
    with _visitor_errors(job_id):
        chosen = pipeline.Options(**options)
        rendered = pipeline.rerender(
            jobs.read(job, job.original),
            jobs.read(job, job.mask_path),
            job.tool,
            chosen,
            settings.MAX_MEGAPIXELS * 1_000_000,
        )
        report("saving")
        return _store(job, rendered, chosen)


@shared_task
def purge_expired_jobs() -> int:
    """Run by Celery beat: uploads and results do not outlive the retention time."""
    expired = jobs.purge_expired()
    if expired:
        logger.info("deleted %d expired jobs", len(expired))
    return len(expired)


def _load(job_id: str) -> jobs.Job:
    job = jobs.load(job_id)
    if job is None:
        raise ImageError("This job has expired and its photo was deleted. Please upload it again.")
    return job


def _reporter(task):
    def report(stage: str) -> None:
        # "at" lets the web tell a job in progress from one whose worker died.
        task.update_state(state="PROGRESS", meta={"stage": stage, "at": time.time()})

    return report


def _store(job: jobs.Job, rendered: pipeline.Rendered, options: pipeline.Options) -> dict:
    chosen = asdict(options)
    revision = hashlib.sha1(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:10]
    path = job.path(f"result-{revision}.{rendered.extension}")
    jobs.write(path, rendered.image)
    jobs.remove_other_results(job, keep=path)
    return {
        "result": path,
        "revision": revision,
        "options": chosen,
        "width": rendered.width,
        "height": rendered.height,
    }


@contextlib.contextmanager
def _visitor_errors(job_id: str) -> Iterator[None]:
    """Expected failures become a readable message; unexpected ones are logged and re-raised."""
    try:
        yield
    except ImageError:
        raise
    except SoftTimeLimitExceeded:
        raise ImageError(jobs.TOO_SLOW) from None
    except Exception:
        logger.exception("job %s failed", job_id)
        raise


@worker_process_init.connect
def _load_the_model_early(**kwargs) -> None:
    """Build the ONNX session as each worker process starts, not on a visitor's first job."""
    args = jobs.model_args()
    try:
        segment.session(args["model_path"], args["model_sha256"])
    except ModelError:
        logger.exception("the worker cannot load its model; jobs will fail until it is fetched")
