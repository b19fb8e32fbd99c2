"""Site-wide response policies: the CSP header, and a friendly 503 when Redis is away."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (OperationalError, RedisConnectionError, RedisTimeoutError)


def content_security_policy(get_response: Callable) -> Callable:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response

    return middleware


def service_unavailable(get_response: Callable) -> Callable:
    """Redis down means no queue and no status: say so kindly, with a 503.

    Nothing is cached about the outage, so the site recovers by itself as soon
    as Redis answers again.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    def process_exception(request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, UNREACHABLE):
            return None
        logger.error("Redis is unreachable: %s", exc)
        message = "The photo service is briefly unavailable. Please try again in a minute."
        if request.path.startswith("/api/") or request.path.endswith("/status"):
            response = JsonResponse({"error": message}, status=503)
        else:
            response = render(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = "30"
        return response

    middleware.process_exception = process_exception
    return middleware
