"""What a worker does to a job: analyse the photo, render a look. Tasks call these.

Everything a job needs is read from its folder in storage, so any worker can
take any job. The layers kept in memory are only a cache: a miss (another
worker, a restart) rebuilds them from storage, slower, with the same result.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict

from editor.imaging import advice, edits, encode, foreground, painting, pipeline, taps
from editor.imaging.errors import ImageError
from editor.jobs import files, records, services
from editor.jobs.records import Job
from editor.worker import engine

logger = logging.getLogger(__name__)

Report = Callable[..., None]  # report(stage, **extra): progress for the page

_RECENT: OrderedDict[str, pipeline.Layers] = OrderedDict()
_RECENT_SIZE = 1  # a 40 MP photo's layers take about 400 MB
_CROPS: dict[str, dict] = {}


def job_process(*, job_id: str, report: Report) -> dict:
    """Analyse the photo, store its mask and advice, render the first look. Safe to run twice."""
    job = _get(job_id)
    report("segmenting")
    with records.crash_counter(job.id, "process"):
        analysis = pipeline.analyse(
            files.read(job.id, job.original), on_stage=report, **engine.model_args()
        )
        layers = analysis.layers
        warnings = advice.advise(layers.photo.pixels, analysis.plain_mask, job.tool)
        closer = advice.second_look(layers.photo.pixels, analysis.plain_mask, engine.session())
        warnings += [closer] if closer else []
        files.write(job.id, files.MASK, encode.mask_png(layers.mask))
        files.write(job.id, files.ORIGINAL_PREVIEW, pipeline.original_preview(layers))
        files.write_json(job.id, files.ADVICE, [asdict(w) for w in warnings])
        _remember(job.id, layers)
        report("compositing")
        # A look chosen while the photo was analysed (the batch page) beats the upload's.
        options = services.look_wanted(job.id) or job.options
        shown = _render(job, layers, pipeline.Options(**options), report)
    if services.look_wanted(job.id) not in (None, options):  # chosen while this one was made
        services.job_rerender(job=job)
    return shown


def job_render(*, job_id: str, report: Report) -> dict:
    """The wanted look from the stored mask: no network run."""
    wanted, seq = services.render_take(job_id)  # first: whatever happens next, newer requests queue
    job = _get(job_id)
    report("compositing")
    # Counted per request: renders of one job running side by side are not crashes.
    with records.crash_counter(job.id, f"render-{seq}"):
        current = files.read_render(job.id)
        wanted = wanted or (current.options if current else job.options)
        return _render(job, _layers(job), pipeline.Options(**wanted), report, seq=seq)


def _render(
    job: Job, layers: pipeline.Layers, options: pipeline.Options, report: Report, seq: int = 0
) -> dict:
    """Preview first (the page shows it at once), then the full-size file."""
    chosen = asdict(options.check(job.tool))
    stored = files.read_json(job.id, files.EDITS, None)  # None: never edited
    fixes = stored or {}
    revision = files.revision(chosen, fixes)
    current = files.read_render(job.id)
    if current and current.revision == revision:
        return asdict(current)  # asked twice while queued: already on show
    shown = layers.shrunk(pipeline.PREVIEW_SIDE)
    if fixes:
        plan = taps.plan(
            layers.photo.pixels,
            layers.mask,
            edits.Edits.from_dict(fixes),
            session=engine.session(),
            cache=_crops(job.id),
        )
        shown = _painted(shown, plan)
    small = pipeline.preview(shown, job.tool, options)
    preview = files.render_name("preview", revision, small.extension)
    files.write(job.id, preview, small.image)
    report("saving", preview={"revision": revision})
    if stored is not None:  # edited once: the advisor reads the mask on show
        warnings = advice.advise(shown.photo.pixels, shown.mask, job.tool)
        files.write_json(job.id, files.ADVICE, [asdict(w) for w in warnings])
    if fixes:
        layers = _painted(layers, plan)
    if stored is not None:
        files.write(job.id, files.EDITED_MASK, encode.mask_png(layers.mask))
    rendered = pipeline.finish(layers, job.tool, options)
    result = files.render_name("result", revision, rendered.extension)
    files.write(job.id, result, rendered.image)
    render = files.Render(
        result=result,
        preview=preview,
        revision=revision,
        options=chosen,
        width=rendered.width,
        height=rendered.height,
        seq=seq,
    )
    with services.render_lock(job.id):
        current = files.read_render(job.id)
        if current and current.seq > seq:
            return asdict(current)  # a later request's render finished first: it stays
        files.write_render(job.id, render)
    files.remove_other_renders(job.id, keep=(result, preview))
    return asdict(render)


def _painted(layers: pipeline.Layers, plan: painting.Plan) -> pipeline.Layers:
    """These layers with the planned fixes painted on the mask, and the edge colours redone."""
    mask = plan.paint(layers.photo.pixels, layers.mask)
    return pipeline.Layers(layers.photo, mask, foreground.estimate(layers.photo.pixels, mask))


def _crops(job_id: str) -> dict:
    """The network's maps of the crops around this job's taps, so a re-render skips them."""
    if job_id not in _CROPS:
        _CROPS.clear()  # one job's worth, like _RECENT
        _CROPS[job_id] = {}
    return _CROPS[job_id]


def _layers(job: Job) -> pipeline.Layers:
    if job.id in _RECENT:
        _RECENT.move_to_end(job.id)
        return _RECENT[job.id]
    layers = pipeline.layers_from(
        files.read(job.id, job.original),
        files.read(job.id, files.MASK),
        engine.max_pixels(),
    )
    _remember(job.id, layers)
    return layers


def _remember(job_id: str, layers: pipeline.Layers) -> None:
    _RECENT[job_id] = layers
    while len(_RECENT) > _RECENT_SIZE:
        _RECENT.popitem(last=False)


def _get(job_id: str) -> Job:
    job = records.job_get(job_id)
    if job is None:
        raise ImageError(records.EXPIRED)
    return job
