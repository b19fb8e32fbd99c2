"""What a worker does to a job: analyse the photo, render a look. Tasks call these.

Everything a job needs is read from its folder in storage, so any worker can
take any job. The layers kept in memory are only a cache: a miss (another
worker, a restart) rebuilds them from storage, slower, with the same result.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

from editor.imaging import (
    advice,
    edits,
    encode,
    followup,
    foreground,
    painting,
    pipeline,
    segment,
    taps,
)
from editor.imaging.errors import ImageError
from editor.imaging.options import Options
from editor.jobs import files, protocol, records, services
from editor.jobs.records import Job
from editor.jobs.states import EXPIRED
from editor.worker import engine

logger = logging.getLogger(__name__)

Report = Callable[..., None]  # report(stage, **extra): progress for the page

_RECENT: OrderedDict[str, pipeline.Layers] = OrderedDict()
_RECENT_SIZE = 1  # a 40 MP photo's layers take about 400 MB
_CROPS: dict[str, dict] = {}


def job_process(*, job_id: str, report: Report) -> dict:
    """Analyse the photo, render its first look, then store the mask and the advice.
    The preview comes first: the page shows it while the rest is written. Safe to run twice."""
    job = _get(job_id)
    report = _announcing(job_id, report)
    report("segmenting")
    with protocol.crash_counter(job.id, "process"):
        analysis = pipeline.analyse(
            files.read(job.id, job.original), on_stage=report, **engine.model_args()
        )
        layers = analysis.layers
        _remember(job.id, layers)
        report("compositing")
        # A look chosen while the photo was analysed (the batch page) beats the upload's.
        wanted, seq = protocol.take(job.id)
        warnings = advice.advise(layers.photo.pixels, analysis.plain_mask, job.tool)
        options, suited = wanted or Options(**job.options), ""
        if wanted is None:
            options, suited = _suited_look(job, options, {w.code for w in warnings})
        draft = _preview(job, layers, options, report, seq, suited)
        closer = advice.second_look(layers.photo.pixels, layers.mask, engine.session())
        warnings += [closer] if closer else []
        files.write(job.id, files.MASK, encode.mask_png(layers.mask))
        files.write(job.id, files.PLAIN_MAP, encode.mask_png(analysis.soft))
        files.write(job.id, files.ORIGINAL_PREVIEW, pipeline.original_preview(layers))
        files.write_json(job.id, files.ADVICE, [asdict(w) for w in warnings])
        shown = _finish(job, draft)
    if protocol.latest_request(job.id) > seq:  # asked for while this one was made
        services.job_catch_up(job=job)
    return shown


def job_render(*, job_id: str, report: Report) -> dict:
    """The wanted look from the stored mask: no network run."""
    wanted, seq = protocol.take(job_id)  # first: whatever happens next, newer requests queue
    job = _get(job_id)
    report = _announcing(job_id, report)
    report("compositing")
    # Counted per request: renders of one job running side by side are not crashes.
    with protocol.crash_counter(job.id, f"render-{seq}"):
        current = files.read_render(job.id)
        options = wanted or Options(**(current.options if current else job.options))
        draft = _preview(job, _layers(job), options, report, seq)
        return _finish(job, draft)


@dataclass
class _Draft:
    """A render whose preview is stored and shown; its full-size file is still to come."""

    layers: pipeline.Layers  # full size, with the edits painted
    options: Options
    revision: str
    preview: str
    seq: int
    warnings: list[dict] | None  # None: never edited
    suited: str = ""  # the warning the look was chosen for, when the site chose it
    current: dict | None = None  # set when this render is already on show


def _suited_look(job: Job, options: Options, codes: set[str]) -> tuple[Options, str]:
    """The first look, fitted to the photo when the visitor chose none: point lights get
    the lens style, which keeps them round instead of smearing them. Returns the look and
    the warning code it answers ("" when it is the visitor's own)."""
    untouched = options == Options()
    if untouched and job.tool == "portrait" and "point_lights" in codes:
        return replace(options, style="lens"), "point_lights"
    return options, ""


def _preview(
    job: Job,
    layers: pipeline.Layers,
    options: Options,
    report: Report,
    seq: int,
    suited: str = "",
) -> _Draft:
    """The preview of this look with the stored edits, stored and reported at once."""
    stored = files.read_json(job.id, files.EDITS, None)  # None: never edited
    fixes = stored or {}
    revision = protocol.revision(options, fixes)
    current = files.read_render(job.id)
    if current and current.revision == revision:  # asked twice while queued: already on show
        return _Draft(layers, options, revision, current.preview, seq, None, "", asdict(current))
    shown = plain = layers.shrunk(pipeline.PREVIEW_SIDE)
    plan = None
    if fixes:
        plan = taps.plan(
            layers.photo.pixels,
            layers.mask,
            edits.Edits.stored(fixes),
            session=engine.session(),
            cache=_crops(job.id),
        )
        shown = _painted(shown, plan)
    small = pipeline.preview(shown, job.tool, options)
    preview = files.render_name("preview", revision, small.extension)
    files.write(job.id, preview, small.image)
    report("saving", preview={"revision": revision, "seq": seq})
    warnings = None
    if stored is not None:  # edited once: the warnings that still hold for the mask on show
        # The advisor's thresholds were measured on the network's plain mask: it gets
        # that, and the edited mask beside it.
        base = _plain_mask(job, shown.photo.pixels.shape, plain.mask)
        fresh = advice.advise(shown.photo.pixels, base, job.tool, edited=shown.mask)
        fresh = {w.code for w in fresh}
        warnings = followup.still_true(
            files.read_json(job.id, files.ADVICE, []),
            plain.mask,
            shown.mask,
            scale=shown.mask.shape[1] / layers.mask.shape[1],
            fresh_codes=fresh,
        )
    if plan is not None:
        layers = _painted(layers, plan)
    return _Draft(layers, options, revision, preview, seq, warnings, suited)


def _finish(job: Job, draft: _Draft) -> dict:
    """The full-size file, then result.json: the render on show, unless a later one is."""
    if draft.current is not None:  # on show already: it answers this request too
        with protocol.render_lock(job.id):
            current = files.read_render(job.id)
            if current and current.revision == draft.revision and current.seq < draft.seq:
                current = replace(current, seq=draft.seq)  # or the page waits for ever
                files.write_render(job.id, current)
        return asdict(current) if current else draft.current
    if draft.warnings is not None:
        files.write(job.id, files.EDITED_MASK, encode.mask_png(draft.layers.mask))
    rendered = pipeline.finish(draft.layers, job.tool, draft.options)
    result = files.render_name("result", draft.revision, rendered.extension)
    files.write(job.id, result, rendered.image)
    render = files.Render(
        result=result,
        preview=draft.preview,
        revision=draft.revision,
        options=asdict(draft.options),
        width=rendered.width,
        height=rendered.height,
        seq=draft.seq,
        warnings=draft.warnings,
        suited=draft.suited,
    )
    with protocol.render_lock(job.id):
        current = files.read_render(job.id)
        if current and current.seq > draft.seq:
            return asdict(current)  # a later request's render finished first: it stays
        files.write_render(job.id, render)
    protocol.announce(job.id)
    files.remove_other_renders(job.id, keep=(result, draft.preview))
    return asdict(render)


def _plain_mask(job: Job, shape: tuple[int, ...], fallback: np.ndarray) -> np.ndarray:
    """The network's own map of the photo, scaled to `shape`, as the advisor reads it;
    a job analysed before the map was stored gets its refined mask instead."""
    try:
        soft = pipeline.read_map(files.read(job.id, files.PLAIN_MAP))
    except FileNotFoundError:
        return fallback
    return segment.upscale(soft, shape)


def _announcing(job_id: str, report: Report) -> Report:
    """Report progress, and wake the pages waiting on this job's status at once."""

    def announced(stage: str, **extra) -> None:
        report(stage, **extra)
        protocol.announce(job_id)

    return announced


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
        raise ImageError(EXPIRED)
    return job
