"""Downloads cannot hold every web thread: a per-client cap, and nginx can serve them.

A client that requests a full-size result or a ZIP and then reads nothing holds
a web thread until it goes away (the thread is stuck writing to it). Each
client may have `MAX_DOWNLOADS_PER_CLIENT` downloads open; more are answered
429 at once. A slot is given back when the response is closed, which the
WSGI server does when the download ends or the client leaves.

With `DOWNLOADS_ACCEL_PREFIX` set (behind nginx, job files on disk), a job
file is not sent by us at all: the answer names it in X-Accel-Redirect and
nginx, which holds slow clients for almost nothing, sends it.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from editor.jobs import limits
from editor.policy.uploads import client_key

# URL names of the downloads that can be large: ZIPs, and job files but the previews.
ZIPS = ("batch-zip", "api-batch-zip")
SMALL_JOB_FILES = ("preview",)  # screen-sized; a batch page shows twenty at once
RETRY_AFTER = 10
TOO_MANY = (
    "You have too many downloads open at once. "
    "Please let one finish, then try again in a few seconds."
)
PASSED_ON = ("Content-Type", "Content-Disposition", "Cache-Control", "X-Robots-Tag")


def cap(get_response: Callable) -> Callable:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        token = getattr(request, "_download_slot", None)
        if token is None:
            return response
        client = client_key(request)
        accelerated = _accelerated(response)
        if accelerated is not None:
            limits.close_download(client, token)  # nginx sends it: no thread is held
            return accelerated
        slot = _Slot(client, token)
        if response.streaming:
            response._resource_closers.append(slot.give_back)
            # Should nobody ever close it (a test client that never reads it, say), the
            # slot goes back with the response rather than stay taken for 15 minutes.
            weakref.finalize(response, slot.give_back)
        else:  # an error page, a 404: nothing is held
            slot.give_back()
        return response

    def process_view(request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        if not _large_download(request):
            return None
        token = limits.open_download(client_key(request))
        if token is None:
            return _refused(request)
        request._download_slot = token
        return None

    middleware.process_view = process_view
    return middleware


class _Slot:
    """One open download of a client's, given back once however many ways it ends."""

    def __init__(self, client: str, token: str):
        self.client, self.token, self.open = client, token, True

    def give_back(self) -> None:
        if self.open:
            self.open = False
            limits.close_download(self.client, self.token)


def _large_download(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is None:
        return False
    if match.url_name in ZIPS:
        return True
    return match.url_name == "job-file" and match.kwargs.get("name") not in SMALL_JOB_FILES


def _refused(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": TOO_MANY}, status=429)
    else:
        response = render(request, "503.html", {"message": TOO_MANY}, status=429)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def _accelerated(response: HttpResponse) -> HttpResponse | None:
    """The same answer with an empty body and X-Accel-Redirect, for a file on disk under
    MEDIA_ROOT; None when it cannot be handed over (S3, a ZIP made on the fly)."""
    prefix = settings.DOWNLOADS_ACCEL_PREFIX
    if not prefix or not isinstance(response, FileResponse) or response.status_code != 200:
        return None
    name = getattr(getattr(response, "file_to_stream", None), "name", None)
    if not isinstance(name, str):
        return None
    root = os.path.realpath(settings.MEDIA_ROOT)
    found = os.path.realpath(name)
    if os.path.commonpath([root, found]) != root:
        return None
    handed = HttpResponse(status=200)
    for header in PASSED_ON:
        if response.has_header(header):
            handed[header] = response[header]
    handed["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(os.path.relpath(found, root))
    response.close()  # our copy of the file: nginx opens its own
    return handed
