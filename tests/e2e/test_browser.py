"""A visitor in a real headless Chromium, against the live site and a real worker."""

import hashlib
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import encode
from tests.paths import DATA

pytestmark = pytest.mark.e2e
JOB_URL = re.compile(r"/jobs/[0-9a-f-]{36}/$")


@pytest.fixture
def photo_file(tmp_path, astronaut):
    path = tmp_path / "astronaut.jpg"
    path.write_bytes(encode(astronaut[:, 32:480]))  # 448×512
    return path


def _make(page, live_server, photo_file, link: str, button: str) -> list[str]:
    page.goto(live_server.url + "/")
    page.get_by_role("link", name=link).first.click()
    page.set_input_files("input[type=file]", str(photo_file))
    page.get_by_role("button", name=button).click()
    page.wait_for_url(JOB_URL)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    return navigations


def _download(page, name: str, tmp_path) -> Image.Image:
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return Image.open(target)


def _images_loaded(page) -> bool:
    return page.eval_on_selector_all(
        ".compare img",
        "imgs => imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0)",
    )


def test_a_visitor_makes_a_portrait_and_downloads_it(
    page, live_server, celery_worker, photo_file, tmp_path
):
    navigations = _make(page, live_server, photo_file, "Portrait mode", "Blur the background")
    download = page.get_by_role("link", name="Download JPEG")
    expect(download).to_be_visible(timeout=60_000)
    assert navigations == []  # the result arrived by polling, not by reloading the page
    assert _images_loaded(page)
    result = _download(page, "Download JPEG", tmp_path)
    assert (result.format, result.size) == ("JPEG", (448, 512))
    mask = _download(page, "Download the mask", tmp_path)
    assert (mask.mode, mask.size) == ("L", (448, 512))


def test_a_visitor_removes_a_background_and_downloads_it(
    page, live_server, celery_worker, photo_file, tmp_path
):
    _make(page, live_server, photo_file, "Background remover", "Remove the background")
    expect(page.get_by_role("link", name="Download PNG")).to_be_visible(timeout=60_000)
    assert _images_loaded(page)
    result = _download(page, "Download PNG", tmp_path)
    assert (result.format, result.mode, result.size) == ("PNG", "RGBA", (448, 512))


def test_without_javascript_the_job_page_still_reaches_the_result(
    browser, live_server, celery_worker, photo_file
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/portrait/")
    page.set_input_files("input[type=file]", str(photo_file))
    page.get_by_role("button", name="Blur the background").click()
    page.wait_for_url(JOB_URL)
    expect(page.get_by_role("link", name="Download JPEG")).to_be_visible(timeout=60_000)
    context.close()


def test_a_visitor_is_warned_when_the_photo_has_two_subjects(page, live_server, celery_worker):
    page.goto(live_server.url + "/portrait/")
    page.set_input_files("input[type=file]", str(DATA / "two-subjects.jpg"))
    page.get_by_role("button", name="Blur the background").click()
    warning = page.locator(".advice li[data-code=several_subjects]")
    expect(warning).to_be_visible(timeout=60_000)
    expect(warning).to_contain_text("more than one subject")
    warning.get_by_role("link").click()
    page.wait_for_url("**/guide/when-it-looks-fake/#several-subjects")
    expect(page.locator("#several-subjects")).to_be_visible()


def test_a_visitor_changes_the_look_without_a_reload(
    page, live_server, celery_worker, photo_file, tmp_path
):
    navigations = _make(
        page, live_server, photo_file, "Background remover", "Remove the background"
    )
    download = page.get_by_role("link", name="Download PNG")
    expect(download).to_be_visible(timeout=60_000)
    before = page.get_attribute("img[data-role=result]", "src")

    page.get_by_label("The original, blurred").check()
    expect(page.locator("img[data-role=result]")).not_to_have_attribute("src", before)
    expect(page.locator("[data-role=updating]")).to_be_hidden(timeout=30_000)
    page.get_by_label("File type").select_option("webp-lossless")
    expect(page.get_by_role("link", name="Download WebP")).to_be_visible(timeout=30_000)
    assert navigations == []
    result = _download(page, "Download WebP", tmp_path)
    assert (result.format, result.mode, result.size) == ("WEBP", "RGB", (448, 512))


def _sha(page, url: str) -> str:
    return hashlib.sha256(page.request.get(url).body()).hexdigest()


def test_the_download_after_a_look_change_serves_the_new_look(
    visitor, live_server, celery_worker, photo_file, tmp_path
):
    visitor.goto(live_server.url + "/portrait/")
    visitor.set_input_files("input[type=file]", str(photo_file))
    visitor.get_by_role("button", name="Blur the background").click()
    download = visitor.locator("[data-role=download]")
    expect(visitor.get_by_role("link", name="Download JPEG")).to_be_visible(timeout=60_000)
    old = _sha(visitor, live_server.url + download.get_attribute("href"))

    visitor.get_by_label("Lens: lights become round discs").check()
    expect(visitor.locator("[data-part=caption]")).to_contain_text("lens blur", timeout=30_000)
    # From the moment the new look is on screen, the button never serves the old one:
    # it waits for the new file, then links to it.
    for _ in range(400):
        href = download.get_attribute("href")
        if href:
            assert _sha(visitor, live_server.url + href) != old
            if visitor.locator("[data-role=updating]").is_hidden():
                break
        visitor.wait_for_timeout(50)
    else:
        raise AssertionError("the new look's file never became the download")
    with visitor.expect_download() as info:
        download.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    new = hashlib.sha256(target.read_bytes()).hexdigest()
    status_url = visitor.locator("#job-status").get_attribute("data-status-url")
    status = visitor.request.get(live_server.url + status_url).json()
    assert new == _sha(visitor, live_server.url + status["result_url"]) and new != old


def test_the_look_reads_the_same_before_and_after_a_change(
    visitor, live_server, celery_worker, photo_file
):
    visitor.goto(live_server.url + "/portrait/")
    visitor.set_input_files("input[type=file]", str(photo_file))
    visitor.get_by_role("button", name="Blur the background").click()
    shown = visitor.locator("output[data-role=strength]")
    expect(shown).to_have_text("× 1.0", timeout=60_000)
    expect(visitor.locator("[data-part=caption]")).to_contain_text("strength 1.0")
    strength = visitor.get_by_label("Blur strength")
    strength.focus()
    strength.press("End")
    expect(shown).to_have_text("× 3.0")
    expect(visitor.locator("[data-part=caption]")).to_contain_text("strength 3.0", timeout=30_000)
    visitor.reload()
    expect(shown).to_have_text("× 3.0")


def test_a_colour_background_is_shown_as_a_colour_not_a_code(
    visitor, live_server, celery_worker, photo_file
):
    visitor.goto(live_server.url + "/remove-background/")
    visitor.set_input_files("input[type=file]", str(photo_file))
    visitor.get_by_role("button", name="Remove the background").click()
    expect(visitor.locator("[data-role=download]")).to_be_visible(timeout=60_000)
    visitor.get_by_label("Background colour").fill("#2563eb")
    caption = visitor.locator("[data-part=caption]")
    expect(caption).to_contain_text("plain colour background", timeout=30_000)
    for words in (caption, visitor.locator("[data-part=label]")):
        assert not re.search(r"#[0-9a-f]{3,6}", words.inner_text(), re.IGNORECASE)
        expect(words.locator(".swatch rect")).to_have_attribute("fill", "#2563eb")
