import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init

from . import jobs
from .imaging import pipeline, segment
from .imaging.errors import ImageError, ModelError

logger = logging.getLogger(__name__)


@shared_task(bind=True, throws=(ImageError,))
def process_job(self, job_id: str) -> dict:
    """Render one job's outputs. Safe to run twice: outputs are overwritten."""
    job = jobs.load(job_id)
    if job is None:
        raise ImageError("This job has expired and its photo was deleted. Please upload it again.")

    def report(stage: str) -> None:
        self.update_state(state="PROGRESS", meta={"stage": stage})

    try:
        rendered = pipeline.render(
            jobs.read_original(job), job.tool, on_stage=report, **jobs.model_args()
        )
        report("saving")
        jobs.save_outputs(job, rendered)
    except SoftTimeLimitExceeded:
        raise ImageError(
            "Processing this photo took too long. "
            "A smaller or tighter-cropped photo will be faster."
        ) from None
    except ImageError:
        raise
    except Exception:
        logger.exception("job %s failed", job_id)
        raise
    return {"width": rendered.width, "height": rendered.height}


@worker_process_init.connect
def _load_the_model_early(**kwargs) -> None:
    """Build the ONNX session as each worker process starts, not on a visitor's first job."""
    args = jobs.model_args()
    try:
        segment.session(args["model_path"], args["model_sha256"])
    except ModelError:
        logger.exception("the worker cannot load its model; jobs will fail until it is fetched")
