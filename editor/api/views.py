"""The JSON API for scripts: create a job, read it, change its look, fix its mask."""

import functools
import json
from collections.abc import Callable
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from editor.imaging import edits
from editor.imaging.edits import EditError
from editor.imaging.options import TOOLS
from editor.jobs import protocol, records, services
from editor.jobs.records import Job
from editor.jobs.refusals import Refused
from editor.policy import uploads
from editor.web.forms import ApiUploadForm, LookForm, first_error
from editor.web.responses import refused_json, refused_upload_json

MAX_EDIT_BYTES = 512 * 1024  # far above MAX_POINTS points written out


def _answers_refusals(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """A view that raises Refused answers it as JSON, with Retry-After when waiting helps."""

    @functools.wraps(view)
    def answered(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        try:
            return view(request, *args, **kwargs)
        except Refused as refused:
            return refused_json(refused)

    return answered


@uploads.guarded(refused_upload_json)
@csrf_exempt  # scripts have no CSRF cookie; the API changes no visitor's state
@require_POST
@_answers_refusals
def create_job(request: HttpRequest) -> JsonResponse:
    form = ApiUploadForm(request.POST, request.FILES)
    tool = request.POST.get("tool")
    look = LookForm(request.POST, tool=tool if tool in TOOLS else "portrait")
    if not form.is_valid() or not look.is_valid():
        raise Refused(first_error(form, look), 400)
    job = services.job_submit(
        tool=form.cleaned_data["tool"], options=look.cleaned_data["options"], **form.job_fields()
    )
    return JsonResponse({"id": job.id, "status_url": _status_url(request, job.id)}, status=202)


@csrf_exempt
@require_POST
@_answers_refusals
def render_job(request: HttpRequest, job_id: UUID) -> JsonResponse:
    """A new look for a finished job, from its stored mask (the network does not run again)."""
    job = _finished_job(job_id)
    look = LookForm(request.POST, tool=job.tool)
    if not look.is_valid():
        raise Refused(first_error(look), 400)
    options = look.cleaned_data["options"]
    number = services.job_change_look(job=job, options=options, client=uploads.client_key(request))
    return _accepted(request, job, number)


@csrf_exempt
@require_POST
@_answers_refusals
def edit_mask(request: HttpRequest, job_id: UUID) -> JsonResponse:
    """Add taps and strokes to a finished job's mask (JSON body), or reset them; re-render."""
    job = _finished_job(job_id)
    if len(request.body) > MAX_EDIT_BYTES:
        raise Refused("These edits are too large; send fewer points.", 413)
    try:
        batch, reset, undo = _edit_request(request.body)
        number = services.job_edit_mask(
            job=job, batch=batch, reset=reset, undo=undo, client=uploads.client_key(request)
        )
    except EditError as exc:
        raise Refused(str(exc), 400) from None
    return _accepted(request, job, number)


@require_GET
def job_detail(request: HttpRequest, job_id: UUID) -> JsonResponse:
    job = records.job_get(job_id)
    if job is None:
        return JsonResponse({"error": "No job with this id."}, status=404)
    status = records.status(job)
    done = status.state == "done"

    def url(name: str) -> str | None:
        return (
            request.build_absolute_uri(reverse("job-file", args=[job.id, name])) if done else None
        )

    return JsonResponse(
        {
            "id": job.id,
            "tool": job.tool,
            "status": status.state,
            "stage": status.stage,
            "result_url": url("result"),
            "mask_url": url("mask"),
            "error": status.error or None,
            "options": status.options if done else None,
            "revision": status.result.get("revision") if done else None,
            "request": status.result.get("seq", 0) if done else None,
            "suited": (status.result.get("suited") or None) if done else None,
            "edits": services.job_edits(job=job).to_dict().get("batches", []),
            "warnings": [
                {
                    "code": warning["code"],
                    "message": warning["message"],
                    "guide_url": request.build_absolute_uri(warning["guide_url"]),
                    "where": warning.get("where"),  # a spot in photo pixels, or None
                }
                for warning in status.warnings
            ],
        }
    )


def _finished_job(job_id: UUID) -> Job:
    """The job, if it exists and has a first result to change; else Refused says why not."""
    job = records.job_get(job_id)
    if job is None:
        raise Refused("No job with this id.", 404)
    if not protocol.has_result(job.id):
        raise Refused(services.NO_RESULT, 409)
    return job


def _edit_request(body: bytes) -> tuple[edits.Batch, bool, bool]:
    """The API's JSON, `{"keep": [[x, y]], "remove": [...], "strokes": [...]}` with
    `"reset": true` (start from none) or `"undo": true` (drop the last request's) first,
    read once into typed values. EditError says what is wrong."""
    try:
        fields = json.loads(body or b"null")
    except (ValueError, RecursionError):
        raise EditError("The body must be JSON.") from None
    if not isinstance(fields, dict):
        raise EditError("The edits must be a JSON object.")
    reset, undo = fields.pop("reset", False), fields.pop("undo", False)
    if not isinstance(reset, bool) or not isinstance(undo, bool):
        raise EditError("reset and undo must be true or false.")
    return edits.Batch.from_dict(fields), reset, undo


def _accepted(request: HttpRequest, job: Job, number: int) -> JsonResponse:
    body = {"id": job.id, "status_url": _status_url(request, job.id), "request": number}
    return JsonResponse(body, status=202)


def _status_url(request: HttpRequest, job_id: str) -> str:
    return request.build_absolute_uri(reverse("api-job", args=[job_id]))
