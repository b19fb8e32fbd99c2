"""Several photos at once: the batch page, its polling view, one look for all, the ZIP.

The API's batches (editor/api/batches.py) read uploads with `submit` and send the ZIP
with `download`, as these pages do."""

from collections.abc import Iterator
from uuid import UUID

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.datastructures import MultiValueDict
from django.views.decorators.http import require_GET, require_POST

from editor.imaging.options import Options
from editor.jobs import batches, records
from editor.jobs.refusals import Refused
from editor.jobs.states import TOOL_SLUGS
from editor.policy import uploads
from editor.web.forms import LookForm, UploadForm, first_error
from editor.web.responses import refused_json, refused_upload_page, with_retry_after


def submit(request: HttpRequest, tool: str, options: Options | None = None) -> batches.Batch:
    """A batch of every `image` part; the bad ones are listed, not fatal."""
    files = request.FILES.getlist("image")
    if not files:
        raise Refused("Please choose at least one photo to upload.", 400)
    if len(files) > settings.MAX_BATCH_PHOTOS:
        limit = settings.MAX_BATCH_PHOTOS
        raise Refused(f"You sent {len(files)} photos; we take up to {limit} at once.", 400)
    # The guard counted this request as one upload; each further photo counts too.
    if not all(uploads.upload_allowed(request) for _ in files[1:]):
        raise Refused("You have reached our upload limit. Please wait a few minutes.", 429)
    refused: list[dict] = []
    photos = _photos(files, refused)
    return batches.batch_submit(
        tool=tool, photos=photos, count=len(files), options=options, refused=refused
    )


def _photos(files: list[UploadedFile], refused: list[dict]) -> Iterator[batches.Photo]:
    """Each file checked as a single upload is, and read only when its turn comes: one
    photo in memory at a time, not the whole batch."""
    for upload in files:
        form = UploadForm({}, MultiValueDict({"image": [upload]}))
        if form.is_valid():
            fields = form.job_fields()
            # A form lives in reference cycles, freed only by a later garbage collection:
            # it must not keep the photo's bytes alive until then.
            del form.cleaned_data["data"]
            yield batches.Photo(**fields)
        else:
            name = records.clean_filename(upload.name)
            refused.append({"filename": name, "error": first_error(form)})


@uploads.guarded(refused_upload_page, batch=True)
@require_POST
def create(request: HttpRequest, tool: str) -> HttpResponse:
    try:
        batch = submit(request, tool)
    except Refused as exc:
        return refused_upload_page(request, exc, tool)
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
    if "application/json" in request.headers.get("Accept", ""):
        return refused_json(refused) if refused else JsonResponse({"changed": changed}, status=202)
    if refused:  # without JavaScript: the page again, saying why
        context = _context(batch, refused.message)
        response = render(request, "editor/batch.html", context, status=refused.status)
        return with_retry_after(response, refused)
    return redirect("batch", batch_id=batch.id)


@require_GET
def download(request: HttpRequest, batch_id: UUID) -> StreamingHttpResponse:
    batch = _get(batch_id)
    archive = batches.batch_zip(batch=batch, masks=request.GET.get("masks") in ("1", "true"))
    response = StreamingHttpResponse(archive, content_type="application/zip")
    response["Content-Length"] = len(archive)
    name = f"softfocus-{TOOL_SLUGS[batch.tool]}-{batch.id[:8]}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Robots-Tag"] = "noindex"
    return response


def _context(batch: batches.Batch, refusal: str = "") -> dict:
    items = batches.batch_items(batch)
    shown = next((item.status.options for item in items if item.done), {})
    return {
        "batch": batch,
        "items": items,
        "done": sum(1 for item in items if item.done),
        "failed": sum(1 for item in items if item.status and item.status.state == "failed"),
        "finished": all(item.finished for item in items),
        "look": LookForm.showing(shown, tool=batch.tool),
        "refusal": refusal,
    }


def _get(batch_id: UUID) -> batches.Batch:
    found = batches.batch_get(batch_id)
    if found is None:
        raise Http404("No such batch")
    return found
