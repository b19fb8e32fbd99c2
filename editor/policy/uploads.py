"""Checks that refuse an upload before its body is read: size, rate and a full queue.

`guard` runs them ahead of the CSRF check, which would otherwise read (and
store) the whole body first. The rate limit is a fixed-window counter per
client, kept in the Redis cache.
"""

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from editor.jobs import limits, protocol
from editor.jobs.protocol import UNREACHABLE
from editor.jobs.refusals import BUSY, Refused

logger = logging.getLogger(__name__)


def client_key(request: HttpRequest) -> str:
    """Who is asking: an IPv4 address, or an IPv6 address's /64 network.

    One IPv6 subscriber usually holds a whole /64 (2^64 addresses), so a limit
    per exact address would be no limit at all.
    """
    value = request.META.get(settings.CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR", "")
    # X-Forwarded-For: only the last hop was written by our own proxy; the
    # entries before it are whatever the client chose to send.
    value = value.split(",")[-1].strip()
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return value[:64]
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def upload_allowed(request: HttpRequest) -> bool:
    """Count this upload; False once the client has used up its window."""
    return limits.allow(
        "uploads", client_key(request), settings.UPLOAD_RATE_LIMIT, settings.UPLOAD_RATE_WINDOW
    )


def _queue_full() -> bool:
    """More uploads waiting than workers will reach soon: better a quick "busy" than a wait
    that could outlive the retention time."""
    if not settings.MAX_QUEUED_JOBS:
        return False
    try:
        return protocol.queue_length() >= settings.MAX_QUEUED_JOBS
    except UNREACHABLE:
        return False  # the view's own call to Redis answers with the 503 page


def refusal(request: HttpRequest, batch: bool = False) -> Refused | None:
    """Why this upload must be turned away, judged from its headers alone."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if batch:  # one request of several photos: a cap on the whole, each photo checked later
        limit = max(settings.MAX_BATCH_MB, settings.MAX_UPLOAD_MB)
        slack = 64 * 1024 * settings.MAX_BATCH_PHOTOS  # the multipart envelope around each file
    else:
        limit, slack = settings.MAX_UPLOAD_MB, 64 * 1024
    if declared > limit * 1024 * 1024 + slack:
        if batch:
            message = (
                f"This upload is {declared / 1048576:.1f} MB; we take up to {limit} MB at once, "
                f"and {settings.MAX_UPLOAD_MB} MB a photo."
            )
        else:
            message = (
                f"This file is {declared / 1048576:.1f} MB; the limit is "
                f"{settings.MAX_UPLOAD_MB} MB. Please upload a smaller photo."
            )
        return Refused(message, 413)
    if _queue_full():
        return Refused(BUSY, 503, retry_after=60)
    if not upload_allowed(request):
        minutes = max(1, settings.UPLOAD_RATE_WINDOW // 60)
        return Refused(
            f"You have uploaded {settings.UPLOAD_RATE_LIMIT} photos in the last {minutes} minutes, "
            "which is our limit. Please wait a few minutes and try again.",
            429,
        )
    return None


Responder = Callable[..., HttpResponse]


@dataclass(frozen=True)
class _Guarded:
    respond: Responder
    batch: bool


# The upload views, each with how it answers a refusal: filled by @guarded at import.
_GUARDED: dict[Callable, _Guarded] = {}


def guarded(respond: Responder, *, batch: bool = False) -> Callable:
    """Register an upload view: `guard` turns away oversize or too-frequent uploads with
    `respond(request, refusal, **view_kwargs)` before anything reads the body.
    A `batch` view takes several photos in one request, MAX_BATCH_MB in all."""

    def register(view: Callable) -> Callable:
        _GUARDED[view] = _Guarded(respond, batch)
        return view

    return register


def _registered(view: Callable | None) -> _Guarded | None:
    """The view's registration, through any decorators put on top of @guarded."""
    while view is not None:
        if view in _GUARDED:
            return _GUARDED[view]
        view = getattr(view, "__wrapped__", None)
    return None


def guard(get_response: Callable) -> Callable:
    """Middleware, placed before the CSRF check (which would read and store the body)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    def process_view(request, view_func, view_args, view_kwargs) -> HttpResponse | None:
        marked = _registered(view_func)
        if request.method != "POST" or marked is None:
            return None
        refused = refusal(request, batch=marked.batch)
        if refused is None:
            return None
        response = marked.respond(request, refused, **view_kwargs)
        if refused.retry_after:
            response["Retry-After"] = str(refused.retry_after)
        return response

    middleware.process_view = process_view
    return middleware
