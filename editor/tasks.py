import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import asdict

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings

from . import jobs, storage
from .imaging import advice, encode, pipeline, segment
from .imaging.errors import ImageError, ModelError

logger = logging.getLogger(__name__)

# The layers of the last few jobs this process analysed, so that changing the
# look of a fresh result skips decoding and edge estimation. A miss (another
# worker, a restart) rebuilds them from storage: slower, same result.
_RECENT: OrderedDict[str, pipeline.Layers] = OrderedDict()
_RECENT_SIZE = 1  # a 40 MP photo's layers take about 400 MB
MAX_ATTEMPTS = 2  # starts of one job before a worker-killing photo is given up


@shared_task(bind=True, throws=(ImageError,))
def process_job(self, job_id: str) -> dict:
    """Analyse the photo, store its mask and advice, render the first look. Safe to run twice."""
    job = _load(job_id)
    report = _reporter(self)
    report("segmenting")
    with _visitor_errors(job_id):
        _give_up_after_crashes(job_id, "process")
        data = storage.read(job.original)
        analysis = pipeline.analyse(data, on_stage=report, **jobs.model_args())
        layers = analysis.layers
        warnings = advice.advise(layers.photo.pixels, analysis.plain_mask, job.tool)
        storage.write(job.mask_path, encode.mask_png(layers.mask))
        storage.write(job.original_preview_path, pipeline.original_preview(layers))
        storage.write(job.advice_path, json.dumps([asdict(w) for w in warnings]).encode())
        _remember(job.id, layers)
        report("compositing")
        return _render(job, layers, pipeline.Options(**job.options), report)


@shared_task(bind=True, throws=(ImageError,))
def render_job(self, job_id: str, options: dict) -> dict:
    """A new look from the stored mask: no network run."""
    job = _load(job_id)
    report = _reporter(self)
    report("compositing")
    with _visitor_errors(job_id):
        _give_up_after_crashes(job_id, jobs.revision(options))
        return _render(job, _layers(job), pipeline.Options(**options), report)


@shared_task
def purge_expired_jobs() -> int:
    """Run by Celery beat: uploads and results do not outlive the retention time."""
    expired = jobs.purge_expired()
    if expired:
        logger.info("deleted %d expired jobs", len(expired))
    return len(expired)


def _render(job: jobs.Job, layers: pipeline.Layers, options: pipeline.Options, report) -> dict:
    """Preview first (the page shows it at once), then the full-size file."""
    chosen = asdict(options.check(job.tool))
    revision = jobs.revision(chosen)
    small = pipeline.preview(layers, job.tool, options)
    preview_path = job.path(f"preview-{revision}.{small.extension}")
    storage.write(preview_path, small.image)
    report("saving", preview={"path": preview_path, "revision": revision})
    rendered = pipeline.finish(layers, job.tool, options)
    result_path = job.path(f"result-{revision}.{rendered.extension}")
    storage.write(result_path, rendered.image)
    info = {
        "result": result_path,
        "preview": preview_path,
        "revision": revision,
        "options": chosen,
        "width": rendered.width,
        "height": rendered.height,
    }
    storage.write(job.result_info_path, json.dumps(info).encode())
    storage.remove_other_renders(job, keep=(result_path, preview_path))
    return info


def _give_up_after_crashes(job_id: str, kind: str) -> None:
    if jobs.count_attempt(job_id, kind) > MAX_ATTEMPTS:
        raise ImageError(jobs.CRASHED)


def _layers(job: jobs.Job) -> pipeline.Layers:
    if job.id in _RECENT:
        _RECENT.move_to_end(job.id)
        return _RECENT[job.id]
    layers = pipeline.layers_from(
        storage.read(job.original), storage.read(job.mask_path), settings.MAX_MEGAPIXELS * 10**6
    )
    _remember(job.id, layers)
    return layers


def _remember(job_id: str, layers: pipeline.Layers) -> None:
    _RECENT[job_id] = layers
    while len(_RECENT) > _RECENT_SIZE:
        _RECENT.popitem(last=False)


def _load(job_id: str) -> jobs.Job:
    job = jobs.load(job_id)
    if job is None:
        raise ImageError("This job has expired and its photo was deleted. Please upload it again.")
    return job


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
