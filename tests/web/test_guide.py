"""The guide pages: structure, links between them, figures, and the command that makes them."""

from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from editor.imaging import segment
from editor.reports import guide_figures
from tests.paths import ROOT, U2NET

GUIDE = [
    "/guide/",
    "/guide/why-its-hard/",
    "/guide/how-the-blur-works/",
    "/guide/real-lens-or-software/",
    "/guide/when-it-looks-fake/",
    "/guide/tips/",
    "/guide/two-tools/",
]
SECTIONS = {
    "/guide/when-it-looks-fake/": [
        "several-subjects",
        "touching-the-background",
        "thin-edges",
        "already-blurred",
        "point-lights",
    ],
    "/guide/tips/": [
        "sharp-source",
        "one-subject",
        "separation",
        "camouflage",
        "crop-tight",
        "clear-subject",
    ],
}


class Page(HTMLParser):
    """What the tests need from a page: title, headings, ids, links and resources."""

    def __init__(self, html: str):
        super().__init__()
        self.title, self.headings, self.ids = "", [], set()
        self.links, self.images, self.resources = [], [], []
        self._in_title = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"])
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.headings.append(int(tag[1]))
        if tag == "title":
            self._in_title = True
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        if tag == "img":
            self.images.append(found)
        if tag in ("img", "script", "link", "source", "iframe"):
            self.resources.append(found.get("src") or found.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def fetch(client, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, url
    return Page(response.content.decode())


@pytest.fixture
def pages(client) -> dict[str, Page]:
    return {url: fetch(client, url) for url in GUIDE}


def test_every_guide_page_has_one_h1_and_a_unique_title(pages):
    for url, page in pages.items():
        assert page.headings.count(1) == 1, url
        assert page.headings[0] == 1, url
        assert page.title.strip(), url
    titles = [page.title.strip() for page in pages.values()]
    assert len(set(titles)) == len(titles)


def test_the_heading_outline_never_skips_a_level(pages):
    for url, page in pages.items():
        for before, after in zip(page.headings, page.headings[1:], strict=False):
            assert after <= before + 1, f"{url}: h{before} followed by h{after}"


def test_every_section_that_other_pages_link_to_exists(pages):
    for url, ids in SECTIONS.items():
        missing = set(ids) - pages[url].ids
        assert not missing, f"{url} lacks {missing}"


def test_every_guide_page_links_to_every_other_one(pages):
    for url, page in pages.items():
        for other in GUIDE:
            if other != url:
                assert other in page.links, f"{url} does not link to {other}"


def test_the_site_navigation_links_to_the_guide(client):
    assert "/guide/" in fetch(client, "/").links


def test_every_guide_image_is_a_file_we_serve_with_alt_text(pages):
    for url, page in pages.items():
        for image in page.images:
            src = image["src"]
            assert src.startswith("/static/"), f"{url}: {src}"
            assert (ROOT / "static" / src.removeprefix("/static/")).is_file(), f"{url}: {src}"
            assert len(image.get("alt") or "") > 20, f"{url}: {src} has no real alt text"
            assert image.get("width") and image.get("height"), f"{url}: {src} has no size"


def test_the_guide_loads_nothing_from_other_sites(pages):
    for url, page in pages.items():
        for resource in page.resources:
            assert not resource.startswith(("http:", "https:", "//")), f"{url}: {resource}"


def test_the_upload_pages_tips_link_into_the_guide(client):
    for url in ("/portrait/", "/remove-background/"):
        links = fetch(client, url).links
        assert "/guide/tips/#crop-tight" in links, url
        assert any(link.startswith("/guide/") and "#" in link for link in links), url


def test_the_background_remover_warns_about_camouflage(client):
    html = client.get("/remove-background/").content.decode()
    assert "camouflage" in html.lower()
    assert "/guide/tips/#camouflage" in Page(html).links


def test_the_figures_command_writes_real_pipeline_output(tmp_path: Path):
    call_command("make_guide_figures", out=tmp_path, only=["astronaut-portrait"])
    written = tmp_path / "astronaut-portrait.jpg"
    assert [p.name for p in tmp_path.iterdir()] == ["astronaut-portrait.jpg"]
    assert written.stat().st_size < 150_000
    with Image.open(written) as image:
        assert image.format == "JPEG"
        assert image.width == guide_figures.WIDTH
        pixels = np.asarray(image.convert("L"), dtype=np.float32)
    third = (image.width - 2 * guide_figures.GAP) // 3
    start = third + guide_figures.GAP
    mask_panel = pixels[:-40, start + 10 : start + third - 10]  # clear of labels and gaps
    # a real mask of the astronaut: plenty of both subject (white) and background (black)
    assert (mask_panel > 200).mean() > 0.2
    assert (mask_panel < 50).mean() > 0.2
    photo_panel, result_panel = pixels[:-40, :third], pixels[:-40, -third:]
    assert np.abs(photo_panel - result_panel).mean() > 2  # the background was blurred

    expected = segment.predict(guide_figures.photo("astronaut"), segment.session(str(U2NET)))
    expected = cv2.resize(expected, (third, image.height), interpolation=cv2.INTER_AREA) * 255
    assert np.abs(mask_panel - expected[:-40, 10:-10]).mean() < 10
