"""Celery's side of a job: an id in, progress out, one call to editor/worker/processing.py.

A fault that can pass (Redis unreachable for a moment, the store timing out,
a read-only or full disk) does not fail the job: it is tried again a few
seconds later, a few times. Only then does the visitor hear of it, with a
message that says waiting may help.
"""

import contextlib
import logging
import time
from collections.abc import Iterator

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings

from editor.imaging.errors import ImageError, ModelError
from editor.jobs.protocol import UNREACHABLE
from editor.jobs.states import TOO_SLOW
from editor.jobs.storages import storage_fault
from editor.worker import engine, processing

logger = logging.getLogger(__name__)

STILL_FAILING = (
    "We could not store this photo's results: our storage is having trouble. "
    "Please try again in a few minutes."
)


@shared_task(bind=True, throws=(ImageError,))
def process_job(self, job_id: str) -> dict:
    with _visitor_errors(self, job_id):
        return processing.job_process(job_id=job_id, report=_reporter(self))


@shared_task(bind=True, throws=(ImageError,))
def render_job(self, job_id: str) -> dict:
    with _visitor_errors(self, job_id):
        return processing.job_render(job_id=job_id, report=_reporter(self))


def _reporter(task):
    def report(stage: str, **extra) -> None:
        # "at" lets the web tell a job in progress from one whose worker died.
        task.update_state(state="PROGRESS", meta={"stage": stage, "at": time.time(), **extra})

    return report


@contextlib.contextmanager
def _visitor_errors(task, job_id: str) -> Iterator[None]:
    """Expected failures become a readable message, passing faults a retry; unexpected
    ones are logged and re-raised."""
    try:
        yield
    except ImageError:
        raise
    except SoftTimeLimitExceeded:
        raise ImageError(TOO_SLOW) from None
    except Exception as exc:
        if not (isinstance(exc, UNREACHABLE) or storage_fault(exc)):
            logger.exception("job %s failed", job_id)
            raise
        tried = task.request.retries
        if tried >= settings.JOB_FAULT_RETRIES:
            logger.error("job %s failed %d times on %r; giving up", job_id, tried + 1, exc)
            raise ImageError(STILL_FAILING) from exc
        wait = settings.JOB_FAULT_RETRY_SECONDS * (tried + 1)  # longer each time
        logger.warning("job %s met %r; trying again in %d s", job_id, exc, wait)
        # The same id, the same queue, the limits the message came with.
        raise task.retry(exc=exc, countdown=wait, max_retries=settings.JOB_FAULT_RETRIES) from exc


@worker_process_init.connect
def _load_the_model_early(**kwargs) -> None:
    """Build the ONNX session as each worker process starts, not on a visitor's first job."""
    engine.use_threads()
    try:
        engine.session()
        logger.info("worker process ready: %d thread(s) per photo", settings.WORKER_THREADS)
    except ModelError:
        logger.exception("the worker cannot load its model; jobs will fail until it is fetched")
