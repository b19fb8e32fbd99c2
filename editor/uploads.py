"""Checks that refuse an upload before its body is read: size and rate.

`guard` runs them ahead of the CSRF check, which would otherwise read (and
store) the whole body first. The rate limit is a fixed-window counter per
client, kept in the Redis cache.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from .middleware import UNREACHABLE

logger = logging.getLogger(__name__)


def client_key(request: HttpRequest) -> str:
    value = request.META.get(settings.CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR", "")
    # X-Forwarded-For: only the last hop was written by our own proxy; the
    # entries before it are whatever the client chose to send.
    return value.split(",")[-1].strip()


def upload_allowed(request: HttpRequest) -> bool:
    """Count this upload; False once the client has used up its window."""
    limit, window = settings.UPLOAD_RATE_LIMIT, settings.UPLOAD_RATE_WINDOW
    if limit <= 0:
        return True
    key = f"uploads:{client_key(request)}"
    try:
        cache.add(key, 0, timeout=window)  # starts the window; no-op if it is running
        return cache.incr(key) <= limit
    except (*UNREACHABLE, ValueError):
        # Redis down: let the upload through, the queue will answer with a 503.
        return True


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


def refusal(request: HttpRequest) -> Refusal | None:
    """Why this upload must be turned away, judged from its headers alone."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    slack = 64 * 1024  # the multipart envelope around the file
    if declared > settings.MAX_UPLOAD_MB * 1024 * 1024 + slack:
        return Refusal(
            413,
            f"This file is {declared / 1048576:.1f} MB; the limit is {settings.MAX_UPLOAD_MB} MB. "
            "Please upload a smaller photo.",
        )
    if not upload_allowed(request):
        minutes = max(1, settings.UPLOAD_RATE_WINDOW // 60)
        return Refusal(
            429,
            f"You have uploaded {settings.UPLOAD_RATE_LIMIT} photos in the last {minutes} minutes, "
            "which is our limit. Please wait a few minutes and try again.",
        )
    return None


def guard(get_response: Callable) -> Callable:
    """Middleware: a view marked with a `refuse` responder gets oversize or
    too-frequent uploads turned away before any middleware reads the body."""

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    def process_view(request, view_func, view_args, view_kwargs) -> HttpResponse | None:
        respond = getattr(view_func, "refuse", None)
        if request.method != "POST" or respond is None:
            return None
        refused = refusal(request)
        return respond(request, refused, **view_kwargs) if refused else None

    middleware.process_view = process_view
    return middleware
