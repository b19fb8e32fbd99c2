"""Batches for scripts: /api/batches takes several photos in one request, like the page."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from editor.imaging.options import TOOLS
from editor.jobs import batches
from editor.jobs.refusals import Refused
from editor.jobs.states import EXPIRED
from editor.policy import uploads
from editor.web.batches import download, submit
from editor.web.forms import LookForm, first_error
from editor.web.responses import refused_json, refused_upload_json


@csrf_exempt  # scripts have no CSRF cookie; the API changes no visitor's state
@uploads.guarded(refused_upload_json, batch=True)
@require_POST
def create(request: HttpRequest) -> JsonResponse:
    tool = request.POST.get("tool")
    if tool not in TOOLS:
        return JsonResponse({"error": "tool must be portrait or cutout."}, status=400)
    look_form = LookForm(request.POST, tool=tool)
    if not look_form.is_valid():
        return JsonResponse({"error": first_error(look_form)}, status=400)
    try:
        batch = submit(request, tool, look_form.cleaned_data["options"])
    except Refused as exc:
        return refused_json(exc)
    return JsonResponse(_api_body(request, batch, with_state=False), status=202)


@require_GET
def detail(request: HttpRequest, batch_id: UUID) -> JsonResponse:
    batch = batches.batch_get(batch_id)
    if batch is None:
        return JsonResponse({"error": "No batch with this id."}, status=404)
    return JsonResponse(_api_body(request, batch, with_state=True))


@require_GET
def zip_download(request: HttpRequest, batch_id: UUID) -> HttpResponse:
    if batches.batch_get(batch_id) is None:
        return JsonResponse({"error": "No batch with this id."}, status=404)
    return download(request, batch_id)


def _api_body(request: HttpRequest, batch: batches.Batch, *, with_state: bool) -> dict:
    def url(name: str, *args) -> str:
        return request.build_absolute_uri(reverse(name, args=args))

    body = {
        "id": batch.id,
        "tool": batch.tool,
        "status_url": url("api-batch", batch.id),
        "zip_url": url("api-batch-zip", batch.id),
        "jobs": [{"id": job_id, "status_url": url("api-job", job_id)} for job_id in batch.job_ids],
        "refused": batch.refused,
    }
    if with_state:
        items = batches.batch_items(batch)
        body["status"] = _api_state(items)
        for entry, item in zip(body["jobs"], items, strict=True):
            entry.update(_api_job(item))
    return body


def _api_state(items: list[batches.Item]) -> str:
    if not all(item.finished for item in items):
        return "running"
    failed = all(item.status is None or item.status.state == "failed" for item in items)
    return "failed" if failed else "done"


def _api_job(item: batches.Item) -> dict:
    if item.job is None:
        expired = {"filename": "", "stage": "", "warnings": []}
        return expired | {"status": "failed", "error": EXPIRED}
    status = item.status
    return {
        "filename": item.job.filename,
        "status": status.state,
        "stage": status.stage,
        "error": status.error or None,
        "warnings": [warning["code"] for warning in status.warnings],
    }
