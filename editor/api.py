"""The JSON API for scripts: POST /api/jobs, GET /api/jobs/<id>."""

from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import jobs, uploads
from .forms import ApiUploadForm


@csrf_exempt  # scripts have no CSRF cookie; the API changes no visitor's state
@require_POST
def create_job(request: HttpRequest) -> JsonResponse:
    if refused := uploads.refusal(request):
        return JsonResponse({"error": refused.message}, status=refused.status)
    form = ApiUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return JsonResponse({"error": first}, status=400)
    job = jobs.submit(form.cleaned_data["tool"], **form.job_fields())
    status_url = request.build_absolute_uri(reverse("api-job", args=[job.id]))
    return JsonResponse({"id": job.id, "status_url": status_url}, status=202)


@require_GET
def job_detail(request: HttpRequest, job_id: UUID) -> JsonResponse:
    job = jobs.load(job_id)
    if job is None:
        return JsonResponse({"error": "No job with this id."}, status=404)
    status = jobs.status(job)
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
            "warnings": [
                {
                    "code": warning["code"],
                    "message": warning["message"],
                    "guide_url": request.build_absolute_uri(warning["guide_url"]),
                }
                for warning in status.warnings
            ],
        }
    )
