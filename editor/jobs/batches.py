"""Batches: several photos uploaded at once, each its own job, under one id.

A batch is one small file in storage, `batches/<id>/batch.json`: the tool,
when it was made, its jobs in upload order and the files it refused. It has no
state of its own: each job keeps its own, and the batch page reads them. It
expires with its jobs: once none of them is left, the purge deletes it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from zipstream import ZIP_STORED, ZipStream

from editor.imaging.options import Options
from editor.jobs import files, limits, protocol, records, services
from editor.jobs.records import Job, Status
from editor.jobs.refusals import BUSY, Refused
from editor.jobs.states import TOOL_SLUGS

logger = logging.getLogger(__name__)
CHUNK = 256 * 1024  # stored files go into the ZIP this much at a time


@dataclass(frozen=True)
class Photo:
    """One accepted upload of a batch, ready to become a job."""

    data: bytes
    filename: str
    extension: str


@dataclass(frozen=True)
class Batch:
    id: str
    tool: str
    created: str
    job_ids: list[str]
    refused: list[dict] = field(default_factory=list)  # {"filename", "error"} per refused file


@dataclass(frozen=True)
class Item:
    """A job of a batch as its page shows it; job and status are None once it expired."""

    job_id: str
    job: Job | None
    status: Status | None

    @property
    def finished(self) -> bool:
        return self.status is None or self.status.finished

    @property
    def done(self) -> bool:
        return bool(self.status and self.status.result and self.status.finished)


def batch_submit(
    *,
    tool: str,
    photos: Iterable[Photo],
    count: int,
    options: Options | None = None,
    refused: list[dict],
) -> Batch:
    """Queue one job per photo and record them as a batch; nothing is kept if one fails.

    `photos` is read one at a time, so a batch never holds more than a photo or two
    in memory; the files it turns away are added to `refused` meanwhile (as
    {"filename", "error"}), which is recorded once the last photo is read.
    `count` is how many files were sent: the queue must have room for all of them.
    """
    room = settings.MAX_QUEUED_JOBS - protocol.queue_length()
    if settings.MAX_QUEUED_JOBS and count > room:
        raise Refused(BUSY, 503, retry_after=60)
    submitted: list[Job] = []
    try:
        for photo in photos:
            job = services.job_submit(tool=tool, options=options, bulk=True, **asdict(photo))
            submitted.append(job)
    except Exception:  # the queue is down or full: take none rather than some
        for job in submitted:
            files.delete(job.id)
        raise
    if not submitted:
        raise Refused(" ".join(f"{r['filename']}: {r['error']}" for r in refused), 400)
    batch = Batch(
        id=str(uuid.uuid4()),
        tool=tool,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        job_ids=[job.id for job in submitted],
        refused=list(refused),
    )
    files.write_batch(batch.id, asdict(batch))
    return batch


def batch_get(batch_id: object) -> Batch | None:
    found = files.read_batch(batch_id)
    return Batch(**found) if found else None


def batch_items(batch: Batch) -> list[Item]:
    items = []
    for job_id in batch.job_ids:
        job = records.job_get(job_id)
        items.append(Item(job_id, job, records.status(job) if job else None))
    return items


def batch_change_look(*, batch: Batch, options: Options, client: str = "") -> int:
    """One look for every photo of the batch; returns how many will have it.

    A photo with a result gets a new render; one still being analysed gets this
    look as its first. The batch counts as one change against the client's
    limit (checked before any photo changes), each photo against its own.
    """
    limits.spend_render(client=client)
    changed = 0
    for item in batch_items(batch):
        if item.job is None or item.status.state == "failed":
            continue
        if item.status.result:
            services.job_change_look(job=item.job, options=options)
        else:
            services.job_wants_look(job=item.job, options=options)
        changed += 1
    return changed


def batch_zip(*, batch: Batch, masks: bool = False) -> ZipStream:
    """The finished results (and masks) as one ZIP, built while it is sent.

    Nothing is read before the client asks for it: each stored file is copied
    in chunks straight into the response, so memory stays flat whatever the
    batch weighs. Photos are already compressed, so the ZIP only stores them,
    which also lets it announce its length before the first byte.
    """
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    taken: set[str] = set()
    for number, item in enumerate(batch_items(batch), start=1):
        render = files.read_render(item.job_id) if item.done else None
        if render is None:
            continue
        stem = _unique(f"{number:02d}-{item.job.stem}", taken)
        label = TOOL_SLUGS[item.job.tool]
        _add(archive, item.job_id, render.result, f"{stem}-{label}.{render.result.rsplit('.')[-1]}")
        if masks:
            _add(archive, item.job_id, files.MASK, f"masks/{stem}-mask.png")
    return archive


def _add(archive: ZipStream, job_id: str, name: str, arcname: str) -> None:
    try:
        size = files.size(job_id, name)
    except (FileNotFoundError, OSError):
        return  # expired, or replaced by a newer look, a moment ago
    archive.add(_chunks(job_id, name), arcname, size=size)


def _chunks(job_id: str, name: str) -> Iterator[bytes]:
    stored = files.open_file(job_id, name)
    if stored is None:
        raise FileNotFoundError(name)  # gone since the ZIP began: the download fails loudly
    with stored:
        while chunk := stored.read(CHUNK):
            yield chunk


def _unique(stem: str, taken: set[str]) -> str:
    name, n = stem, 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}"
    taken.add(name)
    return name


def batches_purge(now: datetime | None = None) -> list[str]:
    """Delete every batch none of whose jobs is left; return their ids.

    A folder whose record never got written is deleted once it is older than
    the retention time.
    """
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=settings.JOB_RETENTION_SECONDS)
    expired = []
    for batch_id in files.batch_ids():
        batch = batch_get(batch_id)
        if batch is None:
            gone = files.batch_last_change(batch_id) < cutoff
        else:
            gone = all(records.job_get(job_id) is None for job_id in batch.job_ids)
        if gone:
            files.delete_batch(batch_id)
            expired.append(batch_id)
    return expired
