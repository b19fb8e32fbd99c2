"""The API, described once: the OpenAPI document, the API page and the README's tables.

The endpoints and the look's fields are data in spec.py; `document()` turns them
into OpenAPI 3, the API page renders them with curl examples, and a test checks
that the README's tables say the same (`markdown_tables()`).
"""

import re
from dataclasses import replace

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from editor.api.spec import ENDPOINTS, LOOK, REASONS, SCHEMAS, WARNINGS, Endpoint


def document(site: str) -> dict:
    """The OpenAPI 3 document of the API, for a site at `site` (no trailing slash)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Softfocus API",
            "version": "1",
            "description": "Portrait mode and background remover for scripts. "
            "No authentication; uploads count against the per-client rate limit "
            f"({settings.UPLOAD_RATE_LIMIT} per {settings.UPLOAD_RATE_WINDOW} s). "
            f"Photos up to {settings.MAX_UPLOAD_MB} MB and {settings.MAX_MEGAPIXELS} megapixels.",
        },
        "servers": [{"url": site}],
        "paths": _paths(),
        "components": {"schemas": SCHEMAS},
    }


def _paths() -> dict:
    paths: dict[str, dict] = {}
    for endpoint in ENDPOINTS:
        operation = {
            "operationId": endpoint.anchor,
            "summary": endpoint.summary,
            "description": endpoint.meaning,
            "responses": {
                str(code): _answer(code, name, endpoint.path)
                for code, name in endpoint.answers.items()
            },
        }
        if endpoint.parameters:
            operation["parameters"] = [
                {
                    "name": p,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "format": "uuid"},
                }
                for p in endpoint.parameters
            ]
        if endpoint.form:
            schema = {
                "type": "object",
                "properties": {
                    f.name: {**f.schema, "description": f.meaning} for f in endpoint.form
                },
                "required": list(endpoint.required) or None,
            }
            schema = {key: value for key, value in schema.items() if value is not None}
            types = ["multipart/form-data"]
            if "image" not in schema["properties"]:
                types.append("application/x-www-form-urlencoded")
            operation["requestBody"] = {
                "required": bool(endpoint.required),
                "content": {kind: {"schema": schema} for kind in types},
            }
        if endpoint.json:
            schema = {"$ref": f"#/components/schemas/{endpoint.json}"}
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema}},
            }
        paths.setdefault(endpoint.path, {})[endpoint.method] = operation
    return paths


def _answer(code: int, schema: str, path: str) -> dict:
    answer: dict = {"description": REASONS[code]}
    if schema:
        answer["content"] = {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        }
    elif code == 200:
        kind = "application/zip" if "zip" in path else "image/*"
        answer["content"] = {kind: {"schema": {"type": "string", "format": "binary"}}}
    return answer


def markdown_tables() -> list[str]:
    """The README's tables, as the README must show them."""
    look = ["| field | values | default |", "|---|---|---|"]
    look += [f"| `{f.name}` | {f.meaning} | {f.default} |" for f in LOOK]
    endpoints = ["| request | what it does |", "|---|---|"]
    endpoints += [
        f"| `{e.method.upper()} {e.path.replace('{id}', '<id>')}` | {e.summary} |"
        for e in ENDPOINTS
    ]
    return ["\n".join(look), "\n".join(endpoints)]


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _html(text: str) -> str:
    """`code` in the descriptions becomes <code>code</code> on the page."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text)))


def _for_page(endpoint: Endpoint) -> Endpoint:
    form = tuple(
        replace(f, meaning=_html(f.meaning), default=_html(f.default)) for f in endpoint.form
    )
    return replace(endpoint, meaning=_html(endpoint.meaning), form=form)


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    site = _site(request)
    endpoints = [
        {
            "endpoint": _for_page(e),
            "curl": e.curl.format(site=site),
            "path": e.path.replace("{id}", "<id>"),
        }
        for e in ENDPOINTS
    ]
    context = {
        "endpoints": endpoints,
        "look": LOOK,
        "reasons": REASONS,
        "site": site,
        "codes": WARNINGS,
    }
    return render(request, "editor/api.html", context)


@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(document(_site(request)))
    response["Access-Control-Allow-Origin"] = "*"  # so API tools on other sites can read it
    return response
