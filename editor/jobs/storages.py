"""The two places a job's files can live: a local (or shared) disk, or an S3-compatible bucket.

Both replace a file whole, so a page polling a job never reads a file that
is missing or half-written while a worker replaces it, both can drop a job's
folder in a few calls, and both hand downloads out as a stream.
`settings.STORAGE_BACKEND` picks one.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from typing import IO

from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

# A disk that refuses writes for now: read-only, full, over quota, its folder's rights or
# attributes changed (chattr +i gives EPERM), or a folder that became a file (ENOTDIR).
# Someone must fix the disk, but the request was fine: 503 and "try again", not a 500.
DISK_FAULTS = frozenset(
    {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.ENOTDIR}
)


def storage_fault(exc: BaseException) -> bool:
    """Whether `exc` is the store failing for a while (nothing wrong with the request)."""
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):  # timeouts, refused, reset
        return True
    if isinstance(exc, ClientError):  # SlowDown, ServiceUnavailable, InternalError
        return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
    return isinstance(exc, OSError) and exc.errno in DISK_FAULTS


class JobFileSystemStorage(FileSystemStorage):
    """A folder on disk; a saved file replaces the old one by rename, never in place."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name  # the same name is the same file: replace it

    def _save(self, name: str, content) -> str:
        target = self.path(name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk)
            os.chmod(partial, 0o644)
            os.replace(partial, target)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
        return name

    def delete_folder(self, name: str) -> None:
        shutil.rmtree(self.path(name), ignore_errors=True)

    def open_stream(self, name: str) -> IO[bytes]:
        return open(self.path(name), "rb")  # noqa: SIM115 (the caller closes it)


class JobS3Storage(S3Storage):
    """A private bucket. One PUT replaces an object whole; a folder goes in batched deletes.

    Objects carry no public ACL and are only read through our own views, so a
    leaked bucket name shows nothing.
    """

    file_overwrite = True
    default_acl = None  # the bucket's own policy: private unless someone opens it
    querystring_auth = True  # should a URL ever be made, it is signed and short-lived
    querystring_expire = 300

    def __init__(self, **options):
        # botocore's defaults (60 s per read, retried up to 5 times) would hold a web
        # thread for minutes while the bucket stalls; the settings size them for a page.
        options.setdefault(
            "client_config",
            Config(
                connect_timeout=settings.S3_CONNECT_TIMEOUT,
                read_timeout=settings.S3_READ_TIMEOUT,
                retries={"mode": "standard", "total_max_attempts": settings.S3_MAX_ATTEMPTS},
            ),
        )
        super().__init__(**options)

    def delete_folder(self, name: str) -> None:
        prefix = self._normalize_name(name.rstrip("/") + "/")
        # boto3 deletes in batches of up to 1000 keys per request.
        self.bucket.objects.filter(Prefix=prefix).delete()

    def open_stream(self, name: str) -> IO[bytes]:
        """The object's body as it arrives: S3File would first copy the whole object into
        memory, which for big PNGs and many downloads at once adds up."""
        try:
            return self.bucket.Object(self._normalize_name(name)).get()["Body"]
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise FileNotFoundError(name) from None
            raise
