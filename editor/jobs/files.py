"""The files of a job: their names, the shape of result.json, and every read and write.

A job is a folder `jobs/<id>/` in Django's default storage (a disk or an S3
bucket, see storages.py):

    meta.json             the job record, written once at upload (records.py)
    original.<ext>        the upload, as sent
    original-preview.jpg  the upright photo as a screen-sized JPEG, once analysed
    mask.png              the refined mask at full resolution, once analysed
    plain-map.png         the network's own 320 px map, which the advisor reads after edits
    advice.json           the advisor's warnings, once analysed
    edits.json            the visitor's fixes to the mask, if any
    mask-edited.png       the mask with those fixes, once a render has applied them
    result-<rev>.<ext>    a rendered look at full size; <rev> names its options
    preview-<rev>.<ext>   the same look, screen-sized
    result.json           which render is current (schema: `Render`)

A batch is a folder `batches/<id>/` holding batch.json (its jobs, in upload order).
No other module builds a path in the job storage.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

ROOT = "jobs"
META = "meta.json"
ORIGINAL_PREVIEW = "original-preview.jpg"
MASK = "mask.png"
PLAIN_MAP = "plain-map.png"  # the network's own low-resolution map, for the advisor
ADVICE = "advice.json"
EDITS = "edits.json"
EDITED_MASK = "mask-edited.png"
RENDER = "result.json"
RENDER_KINDS = ("result", "preview")


@dataclass(frozen=True)
class Render:
    """result.json: the look on show. Its files stay until a newer look replaces them."""

    result: str  # file name of the full-size result, e.g. "result-1a2b3c4d5e.jpg"
    preview: str  # file name of its screen-sized preview
    revision: str
    options: dict
    width: int
    height: int
    seq: int = 0  # which request it answers: a render for an older one never replaces it
    # The advisor's warnings that still hold once edits are applied; None: never edited,
    # the analysis's own (advice.json) stand.
    warnings: list[dict] | None = None
    # Set when the site chose the look for the photo (a warning code: "point_lights" means
    # the lens style was used for its lights); "" when it is the visitor's choice.
    suited: str = ""


def path(job_id: str, name: str) -> str:
    return f"{ROOT}/{job_id}/{name}"


def original_name(extension: str) -> str:
    return f"original.{extension}"


def render_name(kind: str, revision: str, extension: str) -> str:
    return f"{kind}-{revision}.{extension}"


# Reads and writes


def write(job_id: str, name: str, content: bytes) -> None:
    """Store a file, replacing any old one whole (both storage backends guarantee it)."""
    default_storage.save(path(job_id, name), ContentFile(content))


def write_json(job_id: str, name: str, value: object) -> None:
    write(job_id, name, json.dumps(value).encode())


def read(job_id: str, name: str) -> bytes:
    with default_storage.open(path(job_id, name)) as f:
        return f.read()


def read_json(job_id: str, name: str, default):
    """A small JSON file, or `default` when it is missing (not made yet, expired, or deleted)."""
    try:
        return json.loads(read(job_id, name))
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def open_file(job_id: str, name: str) -> IO[bytes] | None:
    """A stored file as a stream for a download, or None if it is gone (expired, or replaced)."""
    try:
        return default_storage.open_stream(path(job_id, name))
    except FileNotFoundError:
        return None


def exists(job_id: str, name: str) -> bool:
    return default_storage.exists(path(job_id, name))


def read_render(job_id: str) -> Render | None:
    found = read_json(job_id, RENDER, None)
    return Render(**found) if found else None


def write_render(job_id: str, render: Render) -> None:
    write_json(job_id, RENDER, asdict(render))


# The folder as a whole


def names(job_id: str) -> list[str]:
    try:
        return default_storage.listdir(f"{ROOT}/{job_id}")[1]
    except FileNotFoundError:
        return []


def job_ids() -> list[str]:
    """Every job folder in storage (on S3: every prefix under jobs/)."""
    try:
        return default_storage.listdir(ROOT)[0]
    except FileNotFoundError:
        return []


def find_render(job_id: str, kind: str, revision: str) -> str | None:
    """The name of the stored `<kind>-<revision>.*`, if it still exists."""
    prefix = f"{kind}-{revision}."
    found = [name for name in names(job_id) if name.startswith(prefix)]
    return found[0] if found else None


def remove_other_renders(job_id: str, keep: tuple[str, ...]) -> None:
    """Delete earlier looks' files, but not fresh ones: another worker may be
    rendering a newer look of this job right now, and its files must survive."""
    settled = datetime.now(UTC) - timedelta(seconds=30)
    for name in names(job_id):
        if not name.startswith(tuple(f"{kind}-" for kind in RENDER_KINDS)) or name in keep:
            continue
        stored = path(job_id, name)
        with contextlib.suppress(FileNotFoundError):  # another worker got there first
            if default_storage.get_modified_time(stored) < settled:
                default_storage.delete(stored)


def last_change(job_id: str) -> datetime | None:
    """When a file of this job was last written; None for an empty folder."""
    stamps = []
    for name in names(job_id):
        with contextlib.suppress(FileNotFoundError):
            stamps.append(default_storage.get_modified_time(path(job_id, name)))
    return max(stamps, default=None)


def delete(job_id: str) -> None:
    """The whole folder: meta.json first, so a half-deleted job is already invisible."""
    with contextlib.suppress(FileNotFoundError):
        default_storage.delete(path(job_id, META))
    default_storage.delete_folder(f"{ROOT}/{job_id}")


def size(job_id: str, name: str) -> int:
    """A stored file's size in bytes; FileNotFoundError (or OSError) once it is gone."""
    return default_storage.size(path(job_id, name))


# Batches: a folder `batches/<id>/` holding batch.json, the list of its jobs.

BATCHES = "batches"
BATCH = "batch.json"


def write_batch(batch_id: str, value: dict) -> None:
    default_storage.save(f"{BATCHES}/{batch_id}/{BATCH}", ContentFile(json.dumps(value).encode()))


def read_batch(batch_id: object) -> dict | None:
    try:
        with default_storage.open(f"{BATCHES}/{batch_id}/{BATCH}") as stored:
            return json.load(stored)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def batch_ids() -> list[str]:
    try:
        return default_storage.listdir(BATCHES)[0]
    except FileNotFoundError:
        return []


def batch_last_change(batch_id: str) -> datetime:
    """When a file of this batch was last written; the dawn of time for an empty folder."""
    folder = f"{BATCHES}/{batch_id}"
    stamps = []
    for name in default_storage.listdir(folder)[1]:
        with contextlib.suppress(FileNotFoundError):
            stamps.append(default_storage.get_modified_time(f"{folder}/{name}"))
    return max(stamps, default=datetime.min.replace(tzinfo=UTC))


def delete_batch(batch_id: str) -> None:
    default_storage.delete_folder(f"{BATCHES}/{batch_id}")
