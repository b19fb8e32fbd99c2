"""Pages for people: the tools, the job page and its polling view, downloads."""

from uuid import UUID

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import jobs
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
    form = UploadForm(request.POST, request.FILES) if posted else UploadForm()
    if posted and form.is_valid():
        job = jobs.create(
            form.cleaned_data["data"],
            tool,
            form.cleaned_data["image"].name,
            form.cleaned_data["extension"],
        )
        jobs.enqueue(job)
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
        jobs.enqueue(found)
    return redirect("job", job_id=found.id)


@require_GET
def job_file(request: HttpRequest, job_id: UUID, name: str) -> FileResponse:
    found = _get_job(job_id)
    path = {"original": found.original, "result": found.result_path, "mask": found.mask_path}.get(
        name
    )
    if path is None or not default_storage.exists(path):
        raise Http404("not ready")
    filename = found.download_name
    if name != "result":
        filename = f"{filename.rsplit('-', 1)[0]}-{name}.{path.rsplit('.', 1)[1]}"
    return FileResponse(
        default_storage.open(path), as_attachment="download" in request.GET, filename=filename
    )


def _get_job(job_id: UUID) -> jobs.Job:
    found = jobs.load(job_id)
    if found is None:
        raise Http404("No such job")
    return found
