"""Answers shared by the pages and the API."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from editor.jobs.refusals import Refused
from editor.web.forms import UploadForm

TOOL_PAGES = {
    "portrait": "editor/portrait.html",
    "cutout": "editor/cutout.html",
}


def refused_json(refused: Refused) -> JsonResponse:
    """A request we cannot take now, as JSON, with `Retry-After` when waiting will help."""
    response = JsonResponse({"error": refused.message}, status=refused.status)
    return with_retry_after(response, refused)


def refused_upload_json(request: HttpRequest, refused: Refused) -> JsonResponse:
    """An API upload turned away (by the guard or the view)."""
    return refused_json(refused)


def refused_upload_page(request: HttpRequest, refused: Refused, tool: str) -> HttpResponse:
    """The tool page again, with why the upload was turned away."""
    context = {"form": UploadForm(), "refusal": refused.message}
    response = render(request, TOOL_PAGES[tool], context, status=refused.status)
    return with_retry_after(response, refused)


def with_retry_after(response: HttpResponse, refused: Refused) -> HttpResponse:
    """Say when to try again, where waiting will help."""
    if refused.retry_after:
        response["Retry-After"] = str(refused.retry_after)
    return response
