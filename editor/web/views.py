"""Pages for people: the tools, the job page and its polling view, downloads."""

import hashlib
import json
import time
from uuid import UUID

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from editor.jobs import files, protocol, records, services
from editor.jobs.records import Job
from editor.jobs.refusals import Refused
from editor.jobs.states import TOOL_SLUGS
from editor.policy import uploads
from editor.web import batches
from editor.web.forms import LookForm, UploadForm, first_error
from editor.web.responses import TOOL_PAGES, refused_json, refused_upload_page, with_retry_after

LONG_POLL = 20.0  # seconds a status request may wait for a change: far below proxy timeouts


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "editor/home.html")


# batch: without JavaScript, several photos chosen at once are posted here (each photo's
# size is still checked by the form, once the body is read).
@uploads.guarded(refused_upload_page, batch=True)
@require_http_methods(["GET", "POST"])
def tool(request: HttpRequest, tool: str) -> HttpResponse:
    posted = request.method == "POST"
    if posted and len(request.FILES.getlist("image")) > 1:  # several photos, without JavaScript
        return batches.create(request, tool)
    form = UploadForm(request.POST, request.FILES) if posted else UploadForm()
    if posted and form.is_valid():
        try:
            job = services.job_submit(tool=tool, **form.job_fields())
        except Refused as refused:
            return refused_upload_page(request, refused, tool)
        return redirect("job", job_id=job.id)
    return render(request, TOOL_PAGES[tool], {"form": form}, status=400 if posted else 200)


@require_GET
def job(request: HttpRequest, job_id: UUID) -> HttpResponse:
    return render(request, "editor/job.html", _job_context(_get_job(job_id)))


@require_GET
def job_status(request: HttpRequest, job_id: UUID) -> JsonResponse:
    """The job's state for the page's script. With `?since=<token>&wait=<seconds>` it waits
    (at most LONG_POLL seconds) until the state differs from the one that token names,
    so the page learns of a new preview the moment the worker stores it."""
    found = _get_job(job_id)
    since, wait = request.GET.get("since", ""), _seconds(request.GET.get("wait"))
    deadline = time.monotonic() + wait
    body = _status_body(request, found)
    while since and body["token"] == since and (left := deadline - time.monotonic()) > 0:
        protocol.await_change(found.id, min(left, 1.0))  # woken by the worker, or re-read
        body = _status_body(request, found)
    return JsonResponse(body)


def _status_body(request: HttpRequest, found: Job) -> dict:
    context = _job_context(found)
    status = context["status"]
    preview = status.preview or status.result
    body = {
        "status": status.state,
        "stage": status.stage,
        "revision": status.result.get("revision"),
        "request": status.result.get("seq", 0),  # the request the full-size file answers
        "preview_revision": preview.get("revision"),
        "preview_request": preview.get("seq", 0),
        "preview_url": _file_url(found, "preview", preview.get("revision")),
        "result_url": _file_url(found, "result", status.result.get("revision")),
    }
    # What the page shows, less what changes on every rendering (the form's CSRF mask).
    shown = [body, status.error, status.warnings, status.result.get("suited"), context["ahead"]]
    token = hashlib.sha1(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:12]
    html = render_to_string("editor/_job_status.html", context, request=request)
    return body | {"html": html, "token": token}


def _seconds(value: str | None) -> float:
    """A long poll's wait from the query string: nonsense means no wait."""
    try:
        return min(max(float(value or 0), 0.0), LONG_POLL)
    except ValueError:
        return 0.0


@require_POST
def job_look(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """Change the look from the stored mask; scripts get JSON, forms a redirect."""
    found = _get_job(job_id)
    form = LookForm(request.POST, tool=found.tool)
    wants_json = "application/json" in request.headers.get("Accept", "")
    refused = None
    if not protocol.has_result(found.id):  # nothing to change yet: the first look is coming
        refused = Refused("No result yet.", 409)
    elif not form.is_valid():
        refused = Refused(first_error(form), 400)
    else:
        try:
            number = services.job_change_look(
                job=found, options=form.cleaned_data["options"], client=uploads.client_key(request)
            )
        except Refused as exc:
            refused = exc
    if wants_json and refused:
        return refused_json(refused)
    if wants_json:
        return JsonResponse({"request": number}, status=202)
    return _refused_page(request, found, refused) if refused else redirect("job", job_id=found.id)


@require_POST
def job_retry(request: HttpRequest, job_id: UUID) -> HttpResponse:
    found = _get_job(job_id)
    if records.status(found).state == "failed":
        try:
            services.job_retry(job=found)
        except Refused as refused:
            return _refused_page(request, found, refused)
    return redirect("job", job_id=found.id)


def _refused_page(request: HttpRequest, found: Job, refused: Refused) -> HttpResponse:
    """The job page again, saying why (without JavaScript: the script says it in place)."""
    context = _job_context(found, refused.message)
    response = render(request, "editor/job.html", context, status=refused.status)
    return with_retry_after(response, refused)


@require_GET
def job_file(request: HttpRequest, job_id: UUID, name: str) -> FileResponse:
    found = _get_job(job_id)
    revision = request.GET.get("v", "")
    stored_name = _file_name(found, name, revision)
    # None: not made yet, or deleted a moment ago (expired, or replaced by a new look).
    stored = files.open_file(found.id, stored_name) if stored_name else None
    if stored is None:
        raise Http404("Not ready")
    extension = stored_name.rsplit(".", 1)[1]
    label = TOOL_SLUGS[found.tool] if name == "result" else name
    response = FileResponse(
        stored,
        as_attachment="download" in request.GET,
        filename=f"{found.stem}-{label}.{extension}",
    )
    # A ?v= file belongs to one revision and never changes; nor does the original once
    # its upright preview is made (until then it is the raw upload). The mask changes
    # with the visitor's edits.
    fixed = bool(revision) or stored_name == files.ORIGINAL_PREVIEW
    response["Cache-Control"] = "private, max-age=3600" if fixed else "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


def _file_name(found: Job, name: str, revision: str) -> str | None:
    """The stored file behind a download URL; None for names we do not serve."""
    if name == "original":  # what browsers can show: an upright JPEG, HEIC or not
        preview = files.ORIGINAL_PREVIEW
        return preview if files.exists(found.id, preview) else found.original
    if name == "mask":  # with the visitor's fixes, once they have been applied
        edited = files.exists(found.id, files.EDITED_MASK)
        return files.EDITED_MASK if edited else files.MASK
    if name not in files.RENDER_KINDS:
        return None
    if revision:
        return files.find_render(found.id, name, revision) if revision.isalnum() else None
    current = files.read_render(found.id)
    return getattr(current, name) if current else None


def _file_url(found: Job, name: str, revision: str | None) -> str | None:
    return f"{reverse('job-file', args=[found.id, name])}?v={revision}" if revision else None


def _job_context(found: Job, refusal: str = "") -> dict:
    """What the job page and its polling view render: the same fragment, the same data."""
    status = records.status(found)
    waiting = not status.finished
    ahead = protocol.jobs_ahead(found.id) if status.state == "queued" else None
    since = records.queued_since(found).isoformat(timespec="seconds") if waiting else ""
    look = LookForm.showing(status.options, tool=found.tool)
    context = {"job": found, "status": status, "look": look, "ahead": ahead, "since": since}
    return context | {"refusal": refusal}


def _get_job(job_id: UUID) -> Job:
    found = records.job_get(job_id)
    if found is None:
        raise Http404("No such job")
    return found
