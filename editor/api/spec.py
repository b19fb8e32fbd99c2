"""The API as data: its endpoints, the fields of a look, the answers' schemas.

Every limit, format, state and warning code is read from the module that owns it
(imaging.options, imaging.edits, imaging.advice_codes, jobs.states), so the document
can never drift from what the server checks. openapi.py turns this into OpenAPI 3
and the API page.
"""

from dataclasses import dataclass, field

from editor.imaging import edits
from editor.imaging.advice_codes import WARNINGS
from editor.imaging.options import FORMATS, STRENGTHS, STYLES, TOOLS
from editor.jobs.states import STAGES, STATES

STATUSES = STATES


def _answers(success: int, schema: str, *errors: int) -> dict[int, str]:
    """An endpoint's answers: its success and the errors it may give (all as `Error`)."""
    return {success: schema} | {code: "Error" for code in errors}


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


# What a state request (GET <path>) answers, in words.
STATES_MEAN = {
    "/api/jobs/{id}": "Its status and stage; once done, the addresses of the result and the "
    "mask, the look it has and the advisor's warnings.",
    "/api/batches/{id}": "`running` until every photo has finished, then `done` (`failed` if "
    "none of them could be processed); each job's status, stage, error and warning codes.",
}


def _state(path: str, summary: str, schema: str) -> Endpoint:
    """A GET of something by its id: its JSON, or 404 once it has expired."""
    curl = "curl {site}" + path.replace("{id}", "<id>")
    answers = _answers(200, schema, 404, 503)
    return Endpoint("get", path, summary, STATES_MEAN[path], curl, answers, parameters=("id",))


ENDPOINTS = (
    Endpoint(
        "post",
        "/api/jobs",
        "Upload a photo",
        "A multipart form with the photo and the tool, and optionally the look. "
        "The job is queued; poll its status URL.",
        "curl -F image=@me.jpg -F tool=portrait {site}/api/jobs",
        _answers(202, "JobCreated", 400, 403, 413, 429, 503),
        form=UPLOAD + LOOK,
        required=("image", "tool"),
    ),
    _state("/api/jobs/{id}", "A job's state", "Job"),
    Endpoint(
        "post",
        "/api/jobs/{id}/render",
        "Change the look",
        "A new look for a finished job, from its stored mask: the network does not run again. "
        "Poll the status URL until `status` is `done` and its `request` has reached this "
        "answer's `request`.",
        "curl -d style=lens -d strength=2 {site}/api/jobs/<id>/render",
        _answers(202, "RenderAccepted", 400, 403, 404, 409, 429, 503),
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
        "`undo: true` drops the last request's. The look stays. "
        f"At most {edits.MAX_TAPS} taps of each kind, {edits.MAX_STROKES} strokes and "
        f"{edits.MAX_POINTS:,} stroke points per request. Poll the status URL until `status` is "
        "`done` and its `request` has reached this answer's `request`.",
        "curl -H 'Content-Type: application/json' -d '{{\"remove\": [[812, 240]]}}' "
        "{site}/api/jobs/<id>/mask",
        _answers(202, "RenderAccepted", 400, 403, 404, 409, 413, 429, 503),
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
        _answers(202, "BatchCreated", 400, 403, 413, 429, 503),
        form=(Field(UPLOAD[0].name, UPLOAD[0].schema, "a photo file; repeat for each photo"),)
        + UPLOAD[1:]
        + LOOK,
        required=("image", "tool"),
    ),
    _state("/api/batches/{id}", "A batch's state", "Batch"),
    Endpoint(
        "get",
        "/api/batches/{id}/zip",
        "Download all",
        "A ZIP of every finished result, built while it is sent; add `?masks=1` for the masks.",
        "curl -o results.zip {site}/api/batches/<id>/zip",
        {200: "", 404: "Error", 429: "Error", 503: "Error"},
        parameters=("id",),
    ),
    Endpoint(
        "get",
        "/jobs/{id}/result",
        "Download the result",
        "The result at full resolution, in the look's file type. `/jobs/<id>/mask` gives the mask "
        "as an 8-bit grayscale PNG.",
        "curl -o me-portrait.jpg {site}/jobs/<id>/result",
        {200: "", 404: "", 429: "Error", 503: "Error"},
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
            "request": {
                "type": "integer",
                "description": "this request's number; the job's `request` reaches it once "
                "the render that answers it (or a later one) is on show",
            },
        },
        "required": ["id", "status_url", "request"],
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
            "request": {
                "type": "integer",
                "nullable": True,
                "description": "the number of the last look or mask request the result answers",
            },
            "suited": {
                "type": "string",
                "nullable": True,
                "description": "when the site chose the first look for the photo, the warning "
                "it answers (`point_lights`: the lens style, which keeps lights round)",
            },
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
            "keep": {"type": "array", "items": _POINT, "maxItems": edits.MAX_TAPS},
            "remove": {"type": "array", "items": _POINT, "maxItems": edits.MAX_TAPS},
            "strokes": {
                "type": "array",
                "maxItems": edits.MAX_STROKES,
                "items": {
                    "type": "object",
                    "properties": {
                        "mode": {"type": "string", "enum": list(edits.MODES)},
                        "radius": {"type": "number", "minimum": 1, "maximum": edits.MAX_RADIUS},
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
    409: "The job has no result yet, or another change to its mask is being saved",
    413: "The file, or the edits, are over the size limit",
    429: "Over a rate limit (uploads, changes of one job, downloads open at once)",
    503: "Redis or the job storage is unreachable, or the queue is full: try again shortly",
}
