"""The guidance pages: plain templates under templates/guide/, one per topic."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

# slug -> (template, title shown in the guide's own navigation), in reading order
PAGES = {
    "why-its-hard": "Why portrait mode is hard",
    "how-the-blur-works": "How the blur is applied",
    "real-lens-or-software": "A real lens or software?",
    "when-it-looks-fake": "When the result looks fake",
    "tips": "Tips for the cleanest result",
    "two-tools": "Why two tools share one engine",
}


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "guide/index.html", {"pages": PAGES})


@require_GET
def page(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in PAGES:
        raise Http404("No such guide page")
    return render(request, f"guide/{slug}.html", {"pages": PAGES, "slug": slug})
