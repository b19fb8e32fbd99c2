"""Site-wide response policies: the security headers, a friendly 503 when Redis or the
job storage is away, and the API's rules: JSON errors always, no form posts from other
sites. Downloads are capped per client in downloads.py."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from editor.jobs.protocol import UNREACHABLE
from editor.jobs.storages import storage_fault

logger = logging.getLogger(__name__)


def security_headers(get_response: Callable) -> Callable:
    """CSP, framing and permissions on every response, whoever made it.

    The outermost middleware, so that what the others answer by themselves gets
    them too: WhiteNoise's static files (an SVG can carry script), the HTTPS
    redirect, CommonMiddleware's slash redirects and the API's rewritten errors.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response

    return middleware


def service_unavailable(get_response: Callable) -> Callable:
    """Redis down means no queue and no status, a stalled or read-only store no job files:
    say so kindly, with a 503 and when to come back.

    Nothing is cached about the outage, so the site recovers by itself as soon
    as Redis or the store answers again. Pages that need neither never get here.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    def process_exception(request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, UNREACHABLE):
            logger.error("Redis is unreachable: %s", exc)
        elif storage_fault(exc):
            logger.error("the job storage failed: %r", exc)
        else:
            return None
        message = "The photo service is briefly unavailable. Please try again in a minute."
        if request.path.startswith("/api/") or request.path.endswith("/status"):
            response = JsonResponse({"error": message}, status=503)
        else:
            response = render(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = "30"
        return response

    middleware.process_exception = process_exception
    return middleware


API_ERRORS = {
    400: "This request is malformed (its form, its headers or its host), so we could not read it.",
    403: "This request was refused.",
    404: "Nothing here: check the address and the job id.",
    405: "This address does not accept that method.",
    413: "This request is too large.",
    500: "Something went wrong on our side. Please try again.",
}
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def api_errors(get_response: Callable) -> Callable:
    """Every error under /api/ is JSON `{"error": …}`, Django's own 400s, 404s and 405s too.

    Views answer JSON themselves; this catches what is refused before a view
    runs or by Django's default handlers, which would answer HTML.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not _is_api(request) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        message = API_ERRORS.get(response.status_code, response.reason_phrase)
        if response.status_code == 405:
            message = f"This address accepts {response.get('Allow', 'GET')} only."
        return _api_error(message, response.status_code, response)

    def process_exception(request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if _is_api(request) and isinstance(exc, TOO_LARGE):
            return _api_error(
                "This form is too large or has too many fields. Send the photo as a file field.",
                413,
            )
        return None

    middleware.process_exception = process_exception
    return middleware


def api_same_origin(get_response: Callable) -> Callable:
    """Refuse a browser's cross-site POST to /api/, before its body is read.

    The API takes no CSRF token, so a page elsewhere could post a form to it.
    Browsers say where a request comes from (`Sec-Fetch-Site`, `Origin`);
    scripts send neither, and are unaffected.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if _is_api(request) and request.method not in ("GET", "HEAD", "OPTIONS"):
            if not _same_origin(request):
                message = "Requests to the API from pages on other sites are refused."
                return _api_error(message, 403)
            # This check stands in for CSRF under /api/: without this, Django's CSRF check
            # would answer a POST to a GET-only path 403 before the view could say 405.
            request._dont_enforce_csrf_checks = True
        return get_response(request)

    return middleware


def _same_origin(request: HttpRequest) -> bool:
    # The site's own origin and CSRF_TRUSTED_ORIGINS come first: a browser calls
    # a trusted front end on another host "same-site" or "cross-site".
    origin = request.headers.get("Origin")
    own = request.build_absolute_uri("/").rstrip("/")
    if origin is not None and (origin == own or origin in settings.CSRF_TRUSTED_ORIGINS):
        return True
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):  # none: typed by the user
        return False
    return origin is None  # no Origin: not a browser (curl, scripts)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _api_error(message: str, status: int, original: HttpResponse | None = None) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for header in ("Allow", "Retry-After"):
        if original is not None and original.has_header(header):
            response[header] = original[header]
    return response
