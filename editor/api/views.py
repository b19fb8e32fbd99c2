"""The JSON API for scripts: create a job, read it, change its look, fix its mask."""

import json
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from editor.imaging.edits import EditError
from editor.imaging.options import TOOLS
from editor.jobs import files, records, services
from editor.jobs.records import Job
from editor.policy import uploads
from editor.web.forms import ApiUploadForm, LookForm, first_error
from editor.web.responses import refused_json, refused_upload_json

MAX_EDIT_BYTES = 512 * 1024  # far above MAX_POINTS points written out


@uploads.guarded(refused_upload_json)
@csrf_exempt  # scripts have no CSRF cookie; the API changes no visitor's state
@require_POST
def create_job(request: HttpRequest) -> JsonResponse:
    form = ApiUploadForm(request.POST, request.FILES)
    tool = request.POST.get("tool")
    look = LookForm(request.POST, tool=tool if tool in TOOLS else "portrait")
    if not form.is_valid() or not look.is_valid():
        return JsonResponse({"error": first_error(form, look)}, status=400)
    try:
        job = services.job_submit(
            tool=form.cleaned_data["tool"],
            options=look.cleaned_data["options"],
            **form.job_fields(),
        )
    except services.Refused as refused:
        return refused_json(refused)
    return JsonResponse({"id": job.id, "status_url": _status_url(request, job.id)}, status=202)


@csrf_exempt
@require_POST
def render_job(request: HttpRequest, job_id: UUID) -> JsonResponse:
    """A new look for a finished job, from its stored mask (the network does not run again)."""
    job, refused = _finished_job(job_id)
    if refused:
        return refused
    look = LookForm(request.POST, tool=job.tool)
    if not look.is_valid():
        return JsonResponse({"error": first_error(look)}, status=400)
    try:
        revision = services.job_change_look(
            job=job, options=look.cleaned_data["options"], client=uploads.client_key(request)
        )
    except services.Refused as refused:
        return refused_json(refused)
    body = {"id": job.id, "status_url": _status_url(request, job.id), "revision": revision}
    return JsonResponse(body, status=202)


@csrf_exempt
@require_POST
def edit_mask(request: HttpRequest, job_id: UUID) -> JsonResponse:
    """Add taps and strokes to a finished job's mask (JSON body), or reset them; re-render."""
    job, refused = _finished_job(job_id)
    if refused:
        return refused
    if len(request.body) > MAX_EDIT_BYTES:
        return JsonResponse({"error": "These edits are too large; send fewer points."}, status=400)
    try:
        body = json.loads(request.body or b"null")
        revision = services.job_edit_mask(job=job, body=body, client=uploads.client_key(request))
    except (ValueError, RecursionError) as exc:  # bad JSON, or edits.EditError
        message = str(exc) if isinstance(exc, EditError) else "The body must be JSON."
        return JsonResponse({"error": message}, status=400)
    except services.Refused as refused:
        return refused_json(refused)
    body = {"id": job.id, "status_url": _status_url(request, job.id), "revision": revision}
    return JsonResponse(body, status=202)


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


def _finished_job(job_id: UUID) -> tuple[Job | None, JsonResponse | None]:
    """The job, if it exists and has a first result to change; else the answer why not."""
    job = records.job_get(job_id)
    if job is None:
        return None, JsonResponse({"error": "No job with this id."}, status=404)
    if not files.read_render(job.id):
        return job, JsonResponse({"error": "This job has no result yet."}, status=409)
    return job, None


def _status_url(request: HttpRequest, job_id: str) -> str:
    return request.build_absolute_uri(reverse("api-job", args=[job_id]))
