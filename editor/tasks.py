"""Celery's side of a job: an id in, progress out, one call to editor/processing.py."""

import contextlib
import logging
import time
from collections.abc import Iterator

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings

from editor.imaging.errors import ImageError, ModelError
from editor.jobs.states import TOO_SLOW
from editor.worker import engine, processing

logger = logging.getLogger(__name__)


@shared_task(bind=True, throws=(ImageError,))
def process_job(self, job_id: str) -> dict:
    with _visitor_errors(job_id):
        return processing.job_process(job_id=job_id, report=_reporter(self))


@shared_task(bind=True, throws=(ImageError,))
def render_job(self, job_id: str) -> dict:
    with _visitor_errors(job_id):
        return processing.job_render(job_id=job_id, report=_reporter(self))


def _reporter(task):
    def report(stage: str, **extra) -> None:
        # "at" lets the web tell a job in progress from one whose worker died.
        task.update_state(state="PROGRESS", meta={"stage": stage, "at": time.time(), **extra})

    return report


@contextlib.contextmanager
def _visitor_errors(job_id: str) -> Iterator[None]:
    """Expected failures become a readable message; unexpected ones are logged and re-raised."""
    try:
        yield
    except ImageError:
        raise
    except SoftTimeLimitExceeded:
        raise ImageError(TOO_SLOW) from None
    except Exception:
        logger.exception("job %s failed", job_id)
        raise


@worker_process_init.connect
def _load_the_model_early(**kwargs) -> None:
    """Build the ONNX session as each worker process starts, not on a visitor's first job."""
    engine.use_threads()
    try:
        engine.session()
        logger.info("worker process ready: %d thread(s) per photo", settings.WORKER_THREADS)
    except ModelError:
        logger.exception("the worker cannot load its model; jobs will fail until it is fetched")
