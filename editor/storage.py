"""The files of a job in Django's storage: replaced at once, read defensively.

Every job lives under `jobs/<id>/`. Writes go to a temporary name and are
renamed over the old file, so the web process polling a job never finds a
file missing or half-written while a worker replaces it.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

if TYPE_CHECKING:
    from .jobs import Job


def read(path: str) -> bytes:
    with default_storage.open(path) as f:
        return f.read()


def write(path: str, content: bytes) -> None:
    """Replace a stored file at once: a reader sees the old file or the new one, never neither.

    On a local or shared disk the new file is written beside the old one and
    renamed over it; object stores (S3 and the like) replace objects whole.
    """
    try:
        target = default_storage.path(path)
    except NotImplementedError:
        default_storage.delete(path)
        default_storage.save(path, ContentFile(content))
        return
    partial = default_storage.save(f"{path}.{uuid.uuid4().hex}.part", ContentFile(content))
    os.replace(default_storage.path(partial), target)


def remove_other_renders(job: Job, keep: tuple[str, ...]) -> None:
    """Delete earlier looks' files, but not fresh ones: another worker may be
    rendering a newer look of this job right now, and its files must survive."""
    _, files = default_storage.listdir(f"jobs/{job.id}")
    settled = datetime.now(UTC) - timedelta(seconds=30)
    for name in files:
        path = job.path(name)
        if not name.startswith(("result-", "preview-")) or name.endswith(".part") or path in keep:
            continue
        with contextlib.suppress(FileNotFoundError):  # another worker got there first
            if default_storage.get_modified_time(path) < settled:
                default_storage.delete(path)


def read_json(path: str, default):
    """A small JSON file, or `default` when it is missing (expired, or being deleted)."""
    try:
        with default_storage.open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def revision_file(job: Job, kind: str, revision: str) -> str | None:
    """The stored `result-<revision>.*` or `preview-<revision>.*`, if it still exists."""
    try:
        _, files = default_storage.listdir(f"jobs/{job.id}")
    except FileNotFoundError:
        return None
    prefix = f"{kind}-{revision}."
    found = [name for name in files if name.startswith(prefix) and not name.endswith(".part")]
    return job.path(found[0]) if found else None


def delete(job_id: str) -> None:
    folder = f"jobs/{job_id}"
    if not default_storage.exists(folder):
        return
    _, files = default_storage.listdir(folder)
    # meta.json first, so a half-deleted job is already invisible.
    for name in sorted(files, key=lambda name: name != "meta.json"):
        default_storage.delete(f"{folder}/{name}")
    default_storage.delete(folder)


def uploaded(job_id: str) -> datetime:
    """meta.json is written once, at upload. A folder without it is an upload that
    never completed: its newest file dates it."""
    _, files = default_storage.listdir(f"jobs/{job_id}")
    dated = ["meta.json"] if "meta.json" in files else files
    stamps = [default_storage.get_modified_time(f"jobs/{job_id}/{name}") for name in dated]
    return max(stamps, default=datetime.min.replace(tzinfo=UTC))
