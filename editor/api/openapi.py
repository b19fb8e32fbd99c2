"""The API, described once: the OpenAPI document, the API page and the README's tables.

The endpoints and the look's fields are written here as data; `document()`
turns them into OpenAPI 3, the API page renders them with curl examples, and a
test checks that the README's tables say the same (`markdown_tables()`).
"""

import re
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from editor.imaging.options import FORMATS, STRENGTHS, STYLES, TOOLS

STATUSES = ("queued", "running", "done", "failed")
STAGES = ("queued", "segmenting", "compositing", "saving")
# The advisor's codes (imaging.advice.ADVICE, which a test compares): listed here
# so that serving this description does not load OpenCV into the web process.
WARNINGS = (
    "no_subject",
    "several_subjects",
    "touching_background",
    "thin_edges",
    "already_shallow",
    "point_lights",
    "subject_not_sharpest",
    "camouflage",
    "small_subject",
    "check_outline",
)


@dataclass(frozen=True)
class Field:
    name: str
    schema: dict
    meaning: str
    default: str = ""


# The look of a result: optional on upload and on render.
LOOK = (
    Field(
        "strength",
        {"type": "number", "minimum": STRENGTHS[0], "maximum": STRENGTHS[1]},
        f"blur strength, {STRENGTHS[0]:g} to {STRENGTHS[1]:g} (a multiple of the default, "
        "which scales with the photo's size)",
        "1",
    ),
    Field(
        "style",
        {"type": "string", "enum": list(STYLES)},
        "`gaussian`, or `lens` (disc-shaped blur; highlights become round discs)",
        "`gaussian`",
    ),
    Field(
        "background",
        {"type": "string", "pattern": "^(transparent|blur|#[0-9a-fA-F]{6})$"},
        "cutout only: `transparent`, `blur`, or a colour `#rrggbb`",
        "`transparent`",
    ),
    Field(
        "format",
        {"type": "string", "enum": sorted({f for formats in FORMATS.values() for f in formats})},
        "portrait: `jpeg` or `webp`; cutout: `png` or `webp-lossless`",
        "the first",
    ),
    Field(
        "keep_camera_details",
        {"type": "boolean"},
        "`true` to keep EXIF camera details (never location)",
        "off",
    ),
)
UPLOAD = (
    Field("image", {"type": "string", "format": "binary"}, "the photo file"),
    Field("tool", {"type": "string", "enum": list(TOOLS)}, "`portrait` or `cutout`"),
)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    summary: str
    meaning: str
    curl: str  # {site} stands for the site's address
    answers: dict[int, str]  # status -> schema name (or "" for a file)
    form: tuple[Field, ...] = ()
    required: tuple[str, ...] = ()
    parameters: tuple[str, ...] = field(default=())
    json: str = ""  # the schema of a JSON body, for requests that take one instead of a form

    @property
    def anchor(self) -> str:
        return f"{self.method}-{self.path}".replace("/", "-").replace("{", "").replace("}", "")


ENDPOINTS = (
    Endpoint(
        "post",
        "/api/jobs",
        "Upload a photo",
        "A multipart form with the photo and the tool, and optionally the look. "
        "The job is queued; poll its status URL.",
        "curl -F image=@me.jpg -F tool=portrait {site}/api/jobs",
        {202: "JobCreated", 400: "Error", 403: "Error", 413: "Error", 429: "Error", 503: "Error"},
        form=UPLOAD + LOOK,
        required=("image", "tool"),
    ),
    Endpoint(
        "get",
        "/api/jobs/{id}",
        "A job's state",
        "Its status and stage; once done, the addresses of the result and the mask, "
        "the look it has and the advisor's warnings.",
        "curl {site}/api/jobs/<id>",
        {200: "Job", 404: "Error", 503: "Error"},
        parameters=("id",),
    ),
    Endpoint(
        "post",
        "/api/jobs/{id}/render",
        "Change the look",
        "A new look for a finished job, from its stored mask: the network does not run again. "
        "Poll the status URL until `status` is `done` and `revision` matches.",
        "curl -d style=lens -d strength=2 {site}/api/jobs/<id>/render",
        {
            202: "RenderAccepted",
            400: "Error",
            403: "Error",
            404: "Error",
            409: "Error",
            503: "Error",
        },
        form=LOOK,
        parameters=("id",),
    ),
    Endpoint(
        "post",
        "/api/jobs/{id}/mask",
        "Fix the mask",
        "A JSON body of taps and strokes, in pixels of the upright photo (origin top left): "
        "`keep` and `remove` are lists of `[x, y]` taps, each of which keeps or removes the "
        "whole object under it; `strokes` are `{mode, radius, points}` brush paths, obeyed "
        "exactly. They add to the edits already stored; `reset: true` clears those first and "
        "`undo: true` drops the last request's. The look stays. At most 50 taps of each kind, "
        "50 strokes and 5,000 stroke points per request. "
        "Poll the status URL until `status` is `done` and `revision` matches.",
        "curl -H 'Content-Type: application/json' -d '{{\"remove\": [[812, 240]]}}' "
        "{site}/api/jobs/<id>/mask",
        {
            202: "RenderAccepted",
            400: "Error",
            403: "Error",
            404: "Error",
            409: "Error",
            429: "Error",
            503: "Error",
        },
        parameters=("id",),
        json="MaskEdits",
    ),
    Endpoint(
        "post",
        "/api/batches",
        "Upload several photos",
        "Like `POST /api/jobs`, with several `image` parts (up to the batch limit): one job per "
        "photo, one look for all. Files that are not readable photos are listed in `refused`.",
        "curl -F image=@one.jpg -F image=@two.jpg -F tool=cutout {site}/api/batches",
        {202: "BatchCreated", 400: "Error", 403: "Error", 413: "Error", 429: "Error", 503: "Error"},
        form=(Field(UPLOAD[0].name, UPLOAD[0].schema, "a photo file; repeat for each photo"),)
        + UPLOAD[1:]
        + LOOK,
        required=("image", "tool"),
    ),
    Endpoint(
        "get",
        "/api/batches/{id}",
        "A batch's state",
        "`running` until every photo has finished, then `done` (`failed` if none of them "
        "could be processed); each job's status, stage, error and warning codes.",
        "curl {site}/api/batches/<id>",
        {200: "Batch", 404: "Error", 503: "Error"},
        parameters=("id",),
    ),
    Endpoint(
        "get",
        "/api/batches/{id}/zip",
        "Download all",
        "A ZIP of every finished result, built while it is sent; add `?masks=1` for the masks.",
        "curl -o results.zip {site}/api/batches/<id>/zip",
        {200: "", 404: "Error"},
        parameters=("id",),
    ),
    Endpoint(
        "get",
        "/jobs/{id}/result",
        "Download the result",
        "The result at full resolution, in the look's file type. `/jobs/<id>/mask` gives the mask "
        "as an 8-bit grayscale PNG.",
        "curl -o me-portrait.jpg {site}/jobs/<id>/result",
        {200: "", 404: ""},
        parameters=("id",),
    ),
)

_NULLABLE_URL = {"type": "string", "format": "uri", "nullable": True}
_POINT = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {"error": {"type": "string", "description": "a sentence for a person"}},
        "required": ["error"],
    },
    "JobCreated": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status_url": {"type": "string", "format": "uri"},
        },
        "required": ["id", "status_url"],
    },
    "RenderAccepted": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status_url": {"type": "string", "format": "uri"},
            "revision": {"type": "string"},
        },
        "required": ["id", "status_url", "revision"],
    },
    "BatchCreated": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "tool": {"type": "string", "enum": list(TOOLS)},
            "status_url": {"type": "string", "format": "uri"},
            "zip_url": {"type": "string", "format": "uri"},
            "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/BatchJob"}},
            "refused": {"type": "array", "items": {"$ref": "#/components/schemas/Refused"}},
        },
        "required": ["id", "tool", "status_url", "zip_url", "jobs", "refused"],
    },
    "Batch": {
        "allOf": [
            {"$ref": "#/components/schemas/BatchCreated"},
            {
                "type": "object",
                "properties": {"status": {"type": "string", "enum": ["running", "done", "failed"]}},
                "required": ["status"],
            },
        ]
    },
    "BatchJob": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status_url": {"type": "string", "format": "uri"},
            "filename": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "stage": {"type": "string", "enum": list(STAGES) + [""]},
            "error": {"type": "string", "nullable": True},
            "warnings": {"type": "array", "items": {"type": "string", "enum": list(WARNINGS)}},
        },
        "required": ["id", "status_url"],
    },
    "Refused": {
        "type": "object",
        "properties": {"filename": {"type": "string"}, "error": {"type": "string"}},
        "required": ["filename", "error"],
    },
    "Warning": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "enum": list(WARNINGS)},
            "message": {"type": "string"},
            "guide_url": {"type": "string", "format": "uri"},
            "where": {
                **_POINT,
                "nullable": True,
                "description": "the spot the warning is about, in photo pixels",
            },
        },
        "required": ["code", "message", "guide_url"],
    },
    "Job": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "tool": {"type": "string", "enum": list(TOOLS)},
            "status": {"type": "string", "enum": list(STATUSES)},
            "stage": {"type": "string", "enum": list(STAGES) + [""]},
            "result_url": _NULLABLE_URL,
            "mask_url": _NULLABLE_URL,
            "error": {"type": "string", "nullable": True},
            "options": {
                "type": "object",
                "nullable": True,
                "properties": {f.name: f.schema for f in LOOK},
            },
            "revision": {"type": "string", "nullable": True},
            "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Warning"}},
            "edits": {
                "type": "array",
                "description": "the mask edits stored with the job, one per request, oldest first",
                "items": {"$ref": "#/components/schemas/EditBatch"},
            },
        },
        "required": ["id", "tool", "status", "stage", "warnings"],
    },
    "EditBatch": {
        "type": "object",
        "properties": {
            "keep": {"type": "array", "items": _POINT, "maxItems": 50},
            "remove": {"type": "array", "items": _POINT, "maxItems": 50},
            "strokes": {
                "type": "array",
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "properties": {
                        "mode": {"type": "string", "enum": ["keep", "remove"]},
                        "radius": {"type": "number", "minimum": 1, "maximum": 1000},
                        "points": {"type": "array", "items": _POINT, "minItems": 1},
                    },
                    "required": ["mode", "radius", "points"],
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    },
    "MaskEdits": {
        "allOf": [
            {"$ref": "#/components/schemas/EditBatch"},
            {
                "type": "object",
                "properties": {"reset": {"type": "boolean"}, "undo": {"type": "boolean"}},
            },
        ]
    },
}
REASONS = {
    200: "OK",
    202: "Accepted",
    400: "A bad request: no image, not a photo, damaged, too many pixels, bad options",
    403: "Posted by a page on another site (scripts send no Origin and are not refused)",
    404: "No job or batch with this id (or it has expired)",
    409: "The job has no result yet",
    413: "The file is over the size limit",
    429: "Over a rate limit (uploads, or changes of one job)",
    503: "Redis is unreachable: try again in a minute",
}


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
