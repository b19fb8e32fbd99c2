"""Answers shared by the pages and the API."""

from django.http import JsonResponse

from .services import Refused


def refused_json(refused: Refused) -> JsonResponse:
    """A request we cannot take now, as JSON, with `Retry-After` when waiting will help."""
    response = JsonResponse({"error": refused.message}, status=refused.status)
    if refused.retry_after:
        response["Retry-After"] = str(refused.retry_after)
    return response
