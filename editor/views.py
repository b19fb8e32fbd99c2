"""Pages for people: the tools, the job page and its polling view, downloads."""

from uuid import UUID

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import jobs, storage, uploads
from .forms import LookForm, UploadForm, first_error

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
        job = jobs.submit(tool, **form.job_fields())
        return redirect("job", job_id=job.id)
    return render(request, TOOL_PAGES[tool], {"form": form}, status=400 if posted else 200)


def _refuse_upload(request: HttpRequest, refused: uploads.Refusal, tool: str) -> HttpResponse:
    context = {"form": UploadForm(), "refusal": refused.message}
    return render(request, TOOL_PAGES[tool], context, status=refused.status)


tool.refuse = _refuse_upload  # run by uploads.guard before the body is read


@require_GET
def job(request: HttpRequest, job_id: UUID) -> HttpResponse:
    return render(request, "editor/job.html", _job_context(_get_job(job_id)))


@require_GET
def job_status(request: HttpRequest, job_id: UUID) -> JsonResponse:
    found = _get_job(job_id)
    context = _job_context(found)
    status = context["status"]
    html = render_to_string("editor/_job_status.html", context, request=request)
    preview = status.preview or status.result
    return JsonResponse(
        {
            "status": status.state,
            "stage": status.stage,
            "html": html,
            "revision": status.result.get("revision"),
            "preview_revision": preview.get("revision"),
            "preview_url": _file_url(found, "preview", preview.get("revision")),
            "result_url": _file_url(found, "result", status.result.get("revision")),
        }
    )


@require_POST
def job_look(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """Change the look from the stored mask; scripts get JSON, forms a redirect."""
    found = _get_job(job_id)
    form = LookForm(request.POST, tool=found.tool)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not jobs.last_result(found):  # nothing to change yet: the first look is on its way
        refused = ("No result yet.", 409)
    elif not form.is_valid():
        refused = (first_error(form), 400)
    else:
        revision = jobs.change_look(found, form.cleaned_data["options"])
        refused = None
    if not wants_json:
        return redirect("job", job_id=found.id)
    if refused:
        return JsonResponse({"error": refused[0]}, status=refused[1])
    return JsonResponse({"revision": revision}, status=202)


@require_POST
def job_retry(request: HttpRequest, job_id: UUID) -> HttpResponse:
    found = _get_job(job_id)
    if jobs.status(found).state == "failed":
        jobs.retry(found)
    return redirect("job", job_id=found.id)


@require_GET
def job_file(request: HttpRequest, job_id: UUID, name: str) -> FileResponse:
    found = _get_job(job_id)
    revision = request.GET.get("v", "")
    path = _file_path(found, name, revision)
    try:
        stored = default_storage.open(path) if path else None
    except FileNotFoundError:
        stored = None  # deleted a moment ago: expired, or replaced by a new look
    if stored is None:
        raise Http404("Not ready")
    extension = path.rsplit(".", 1)[1]
    label = jobs.TOOL_SLUGS[found.tool] if name == "result" else name
    response = FileResponse(
        stored,
        as_attachment="download" in request.GET,
        filename=f"{found.stem}-{label}.{extension}",
    )
    # A ?v= file belongs to one revision and never changes; nor do the mask and original.
    fixed = bool(revision) or name in ("original", "mask")
    response["Cache-Control"] = "private, max-age=3600" if fixed else "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


def _file_path(found: jobs.Job, name: str, revision: str) -> str | None:
    if name == "original":  # what browsers can show: an upright JPEG, HEIC or not
        preview = found.original_preview_path
        return preview if default_storage.exists(preview) else found.original
    if name == "mask":
        return found.mask_path
    if name not in ("result", "preview"):
        return None
    if revision:
        return storage.revision_file(found, name, revision) if revision.isalnum() else None
    return jobs.last_result(found).get(name)


def _file_url(found: jobs.Job, name: str, revision: str | None) -> str | None:
    return f"{reverse('job-file', args=[found.id, name])}?v={revision}" if revision else None


def _job_context(found: jobs.Job) -> dict:
    """What the job page and its polling view render: the same fragment, the same data."""
    status = jobs.status(found)
    return {"job": found, "status": status, "look": _look_form(found, status)}


def _look_form(found: jobs.Job, status: jobs.Status) -> LookForm:
    options = dict(status.options)
    background = options.get("background", "transparent")
    if background.startswith("#"):
        options.update(background="colour", colour=background)
    return LookForm(initial=options, tool=found.tool)


def _get_job(job_id: UUID) -> jobs.Job:
    found = jobs.load(job_id)
    if found is None:
        raise Http404("No such job")
    return found
