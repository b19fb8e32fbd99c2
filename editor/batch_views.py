"""Several photos at once: the batch page, its polling view, one look for all, the ZIP,
and the same for scripts under /api/batches."""

from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import batches, records, services, uploads
from .forms import LookForm, UploadForm, first_error
from .imaging.options import TOOLS
from .responses import refused_json

TOOL_PAGES = {"portrait": "editor/portrait.html", "cutout": "editor/cutout.html"}
Refused = services.Refused


def _read_photos(request: HttpRequest) -> tuple[list[batches.Photo], list[dict]]:
    """Every `image` part checked as a single upload is; the bad ones are listed, not fatal."""
    files = request.FILES.getlist("image")
    if not files:
        raise Refused("Please choose at least one photo to upload.", 400)
    if len(files) > settings.MAX_BATCH_PHOTOS:
        limit = settings.MAX_BATCH_PHOTOS
        raise Refused(f"You sent {len(files)} photos; we take up to {limit} at once.", 400)
    # The guard counted this request as one upload; each further photo counts too.
    if not all(uploads.upload_allowed(request) for _ in files[1:]):
        raise Refused("You have reached our upload limit. Please wait a few minutes.", 429)
    photos, refused = [], []
    for upload in files:
        form = UploadForm({}, MultiValueDict({"image": [upload]}))
        if form.is_valid():
            photos.append(batches.Photo(**form.job_fields()))
        else:
            name = records.clean_filename(upload.name)
            refused.append({"filename": name, "error": first_error(form)})
    if not photos:
        raise Refused(" ".join(f"{r['filename']}: {r['error']}" for r in refused), 400)
    return photos, refused


def _refuse_upload(request: HttpRequest, refused, tool: str) -> HttpResponse:
    context = {"form": UploadForm(), "refusal": refused.message}
    response = render(request, TOOL_PAGES[tool], context, status=refused.status)
    if getattr(refused, "retry_after", None):
        response["Retry-After"] = str(refused.retry_after)
    return response


@uploads.guarded(_refuse_upload, batch=True)
@require_POST
def create(request: HttpRequest, tool: str) -> HttpResponse:
    try:
        photos, refused = _read_photos(request)
        batch = batches.batch_submit(tool=tool, photos=photos, refused=refused)
    except Refused as exc:
        return _refuse_upload(request, exc, tool)
    return redirect("batch", batch_id=batch.id)


@require_GET
def page(request: HttpRequest, batch_id: UUID) -> HttpResponse:
    return render(request, "editor/batch.html", _context(_get(batch_id)))


@require_GET
def status(request: HttpRequest, batch_id: UUID) -> JsonResponse:
    context = _context(_get(batch_id))
    html = render_to_string("editor/_batch_cards.html", context, request=request)
    return JsonResponse({"finished": context["finished"], "done": context["done"], "html": html})


@require_POST
def look(request: HttpRequest, batch_id: UUID) -> HttpResponse:
    """One look for every photo that has a result; scripts get JSON, forms a redirect."""
    batch = _get(batch_id)
    form = LookForm(request.POST, tool=batch.tool)
    refused, changed = None, 0
    try:
        if not form.is_valid():
            raise Refused(first_error(form), 400)
        options, client = form.cleaned_data["options"], uploads.client_key(request)
        changed = batches.batch_change_look(batch=batch, options=options, client=client)
    except Refused as exc:
        refused = exc
    if "application/json" not in request.headers.get("Accept", ""):
        return redirect("batch", batch_id=batch.id)
    return refused_json(refused) if refused else JsonResponse({"changed": changed}, status=202)


@require_GET
def download(request: HttpRequest, batch_id: UUID) -> StreamingHttpResponse:
    batch = _get(batch_id)
    archive = batches.batch_zip(batch=batch, masks=request.GET.get("masks") in ("1", "true"))
    response = StreamingHttpResponse(archive, content_type="application/zip")
    response["Content-Length"] = len(archive)
    name = f"softfocus-{records.TOOL_SLUGS[batch.tool]}-{batch.id[:8]}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Robots-Tag"] = "noindex"
    return response


def _context(batch: batches.Batch) -> dict:
    items = batches.batch_items(batch)
    shown = next((item.status.options for item in items if item.done), {})
    return {
        "batch": batch,
        "items": items,
        "done": sum(1 for item in items if item.done),
        "failed": sum(1 for item in items if item.status and item.status.state == "failed"),
        "finished": all(item.finished for item in items),
        "look": LookForm(initial=_look_initial(shown), tool=batch.tool),
    }


def _look_initial(options: dict) -> dict:
    options = dict(options)
    background = options.get("background", "transparent")
    if background.startswith("#"):
        options.update(background="colour", colour=background)
    return options


def _get(batch_id: UUID) -> batches.Batch:
    found = batches.batch_get(batch_id)
    if found is None:
        raise Http404("No such batch")
    return found


# The API


def _api_refuse(request: HttpRequest, refused: uploads.Refusal) -> JsonResponse:
    return JsonResponse({"error": refused.message}, status=refused.status)


@csrf_exempt  # scripts have no CSRF cookie; the API changes no visitor's state
@uploads.guarded(_api_refuse, batch=True)
@require_POST
def api_create(request: HttpRequest) -> JsonResponse:
    tool = request.POST.get("tool")
    if tool not in TOOLS:
        return JsonResponse({"error": "tool must be portrait or cutout."}, status=400)
    look_form = LookForm(request.POST, tool=tool)
    if not look_form.is_valid():
        return JsonResponse({"error": first_error(look_form)}, status=400)
    try:
        photos, refused = _read_photos(request)
        options = look_form.cleaned_data["options"]
        batch = batches.batch_submit(tool=tool, photos=photos, options=options, refused=refused)
    except Refused as exc:
        return refused_json(exc)
    return JsonResponse(_api_body(request, batch, with_state=False), status=202)


@require_GET
def api_detail(request: HttpRequest, batch_id: UUID) -> JsonResponse:
    batch = batches.batch_get(batch_id)
    if batch is None:
        return JsonResponse({"error": "No batch with this id."}, status=404)
    return JsonResponse(_api_body(request, batch, with_state=True))


@require_GET
def api_zip(request: HttpRequest, batch_id: UUID) -> HttpResponse:
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
        body["status"] = "done" if all(item.finished for item in items) else "running"
        for entry, item in zip(body["jobs"], items, strict=True):
            entry.update(_api_job(item))
    return body


def _api_job(item: batches.Item) -> dict:
    if item.job is None:
        expired = {"filename": "", "stage": "", "warnings": []}
        return expired | {"status": "failed", "error": records.EXPIRED}
    status = item.status
    return {
        "filename": item.job.filename,
        "status": status.state,
        "stage": status.stage,
        "error": status.error or None,
        "warnings": [warning["code"] for warning in status.warnings],
    }
