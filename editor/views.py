"""Pages for people: the tools, the job page and its polling view, downloads."""

from uuid import UUID

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import jobs, uploads
from .forms import UploadForm

TOOL_PAGES = {
    "portrait": "editor/portrait.html",
    "cutout": "editor/cutout.html",
}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "editor/home.html")


@require_http_methods(["GET", "POST"])
def tool(request: HttpRequest, tool: str) -> HttpResponse:
    posted = request.method == "POST"
    if posted and (refused := uploads.refusal(request)):
        context = {"form": UploadForm(), "refusal": refused.message}
        return render(request, TOOL_PAGES[tool], context, status=refused.status)
    form = UploadForm(request.POST, request.FILES) if posted else UploadForm()
    if posted and form.is_valid():
        job = jobs.submit(tool, **form.job_fields())
        return redirect("job", job_id=job.id)
    return render(request, TOOL_PAGES[tool], {"form": form}, status=400 if posted else 200)


@require_GET
def job(request: HttpRequest, job_id: UUID) -> HttpResponse:
    found = _get_job(job_id)
    return render(request, "editor/job.html", {"job": found, "status": jobs.status(found)})


@require_GET
def job_status(request: HttpRequest, job_id: UUID) -> JsonResponse:
    found = _get_job(job_id)
    status = jobs.status(found)
    html = render_to_string(
        "editor/_job_status.html", {"job": found, "status": status}, request=request
    )
    return JsonResponse({"status": status.state, "stage": status.stage, "html": html})


@require_POST
def job_retry(request: HttpRequest, job_id: UUID) -> HttpResponse:
    found = _get_job(job_id)
    if jobs.status(found).state == "failed":
        jobs.retry(found)
    return redirect("job", job_id=found.id)


@require_GET
def job_file(request: HttpRequest, job_id: UUID, name: str) -> FileResponse:
    found = _get_job(job_id)
    path = _file_path(found, name)
    if path is None or not default_storage.exists(path):
        raise Http404("Not ready")
    extension = path.rsplit(".", 1)[1]
    label = jobs.TOOL_SLUGS[found.tool] if name == "result" else name
    response = FileResponse(
        default_storage.open(path),
        as_attachment="download" in request.GET,
        filename=f"{found.stem}-{label}.{extension}",
    )
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


def _file_path(found: jobs.Job, name: str) -> str | None:
    if name == "original":
        return found.original
    if name == "mask":
        return found.mask_path
    if name == "result":
        return jobs.status(found).result.get("result")
    return None


def _get_job(job_id: UUID) -> jobs.Job:
    found = jobs.load(job_id)
    if found is None:
        raise Http404("No such job")
    return found
