"""The visitor's flow at desktop and phone sizes, in a real Chromium with a real worker:
photos in by drop, paste or sample, checked before upload; the picture kept in view
while the look changes; the before/after divider; no console errors anywhere."""

import base64
import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import encode
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e
JOB_URL = re.compile(r"/jobs/[0-9a-f-]{36}/$")


@pytest.fixture
def photo_file(tmp_path, astronaut) -> Path:
    path = tmp_path / "astronaut.jpg"
    path.write_bytes(encode(astronaut[:, 32:480]))  # 448×512
    return path


def _transfer(page, path: Path):
    """A DataTransfer holding the file, as a drop or a paste carries it."""
    return page.evaluate_handle(
        """([data, name]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "image/jpeg"}));
            return transfer;
        }""",
        [base64.b64encode(path.read_bytes()).decode(), path.name],
    )


def _all_decoded(page, selector: str) -> None:
    """Wait until every image matched has loaded and decoded (polled from here: the
    site's CSP forbids the eval that wait_for_function would need)."""
    expect(page.locator(selector).first).to_be_visible()
    for _ in range(100):
        if page.eval_on_selector_all(selector, "l => l.every(i => i.complete && i.naturalWidth)"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector}: not every image loaded")


def _result_ready(page) -> None:
    expect(page.locator("[data-role=download]")).to_be_visible(timeout=60_000)
    _all_decoded(page, ".compare img")


def _share_in_view(page, selector: str) -> float:
    """How much of the element's area is inside the viewport, 0 to 1."""
    return page.eval_on_selector(
        selector,
        """el => {
            const r = el.getBoundingClientRect();
            const h = Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0));
            const w = Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0));
            return (h * w) / (r.width * r.height);
        }""",
    )


def test_a_photo_dropped_anywhere_on_the_page_reaches_a_result(
    visitor, live_server, celery_worker, photo_file
):
    visitor.goto(live_server.url + "/portrait/")
    shot(visitor, "tool-page")
    transfer = _transfer(visitor, photo_file)
    visitor.dispatch_event(".tips", "dragenter", {"dataTransfer": transfer})
    expect(visitor.locator("[data-role=overlay]")).to_be_visible()
    visitor.dispatch_event(".tips", "drop", {"dataTransfer": transfer})
    visitor.wait_for_url(JOB_URL)
    _result_ready(visitor)
    shot(visitor, "portrait-result")


def test_a_pasted_photo_reaches_a_result(visitor, live_server, celery_worker, photo_file):
    visitor.goto(live_server.url + "/remove-background/")
    transfer = _transfer(visitor, photo_file)
    visitor.evaluate(
        "t => document.body.dispatchEvent("
        "new ClipboardEvent('paste', {clipboardData: t, bubbles: true}))",
        transfer,
    )
    visitor.wait_for_url(JOB_URL)
    _result_ready(visitor)
    expect(visitor.locator("[data-part=caption]")).to_contain_text("Background removed")


def test_a_sample_photo_works_in_one_click(visitor, live_server, celery_worker):
    visitor.goto(live_server.url + "/portrait/")
    expect(visitor.get_by_text("No photo at hand?")).to_be_visible()
    visitor.get_by_role("button", name="Cat").click()
    visitor.wait_for_url(JOB_URL)
    _result_ready(visitor)
    expect(visitor.locator("[data-role=download]")).to_have_text("Download JPEG")


def test_a_file_over_the_limit_is_refused_before_a_byte_is_sent(visitor, live_server, tmp_path):
    big = tmp_path / "huge.jpg"
    big.write_bytes(b"\xff\xd8\xff" + os.urandom(30 * 1024 * 1024))
    visitor.goto(live_server.url + "/portrait/")
    posts = []
    visitor.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    visitor.set_input_files("input[type=file]", str(big))
    expect(visitor.locator(".chosen")).to_contain_text("huge.jpg · 30.0 MB")
    visitor.get_by_role("button", name="Blur the background").click()
    alert = visitor.get_by_role("alert")
    expect(alert).to_contain_text("This file is 30.0 MB; the limit is 20 MB")
    shot(visitor, "refused")
    assert posts == []


def test_while_the_look_changes_the_picture_stays_in_view_and_focus_stays_put(
    visitor, live_server, celery_worker, photo_file
):
    visitor.goto(live_server.url + "/portrait/")
    visitor.set_input_files("input[type=file]", str(photo_file))
    visitor.get_by_role("button", name="Blur the background").click()
    _result_ready(visitor)
    looks = []
    visitor.on("request", lambda r: looks.append(r.url) if r.url.endswith("/look") else None)

    if visitor.size == "phone":  # a tap on a control far down the panel
        control = visitor.get_by_label("Lens: lights become round discs")
        control.check()
        landed = "lens blur"
    else:  # a run of arrow keys on the slider
        control = visitor.get_by_label("Blur strength")
        control.focus()
        for _ in range(3):
            control.press("ArrowRight")
        landed = "strength 1.75"
    assert _share_in_view(visitor, "img[data-role=result]") >= 0.5
    shot(visitor, "changing-the-look")
    expect(visitor.locator("[data-part=caption]")).to_contain_text(landed, timeout=30_000)
    expect(visitor.locator("[data-role=updating]")).to_be_hidden()
    assert _share_in_view(visitor, "img[data-role=result]") >= 0.5
    expect(control).to_be_focused()
    assert len(looks) == 1  # three key presses, one render: the last


def test_the_before_and_after_divider_moves_with_the_keyboard(
    visitor, live_server, celery_worker, photo_file
):
    visitor.goto(live_server.url + "/remove-background/")
    visitor.set_input_files("input[type=file]", str(photo_file))
    visitor.get_by_role("button", name="Remove the background").click()
    _result_ready(visitor)
    divider = visitor.get_by_role("slider", name="Before and after")
    expect(divider).to_have_attribute("aria-valuenow", "50")
    divider.focus()
    divider.press("ArrowLeft")
    expect(divider).to_have_attribute("aria-valuenow", "45")
    divider.press("End")
    expect(divider).to_have_attribute("aria-valuenow", "100")
    clip = visitor.eval_on_selector(".compare-after", "el => getComputedStyle(el).clipPath")
    assert clip == "inset(0px 0px 0px 100%)"  # all original: the result is clipped away
    divider.press("Home")
    expect(divider).to_have_attribute("aria-valuetext", "0% original")
    shot(visitor, "cutout-result")


@pytest.fixture
def five_photos(tmp_path) -> list[Path]:
    from skimage import data

    paths = []
    for name in ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field"):
        path = tmp_path / f"{name}.jpg"
        path.write_bytes(encode(getattr(data, name)()))
        paths.append(path)
    return paths


def test_five_photos_chosen_at_once_finish_on_a_batch_page_and_download_as_one_zip(
    visitor, live_server, celery_worker, five_photos, tmp_path
):
    visitor.goto(live_server.url + "/remove-background/")
    visitor.set_input_files("input[type=file]", [str(p) for p in five_photos])
    expect(visitor.locator(".chosen li")).to_have_count(5)
    shot(visitor, "five-chosen")
    visitor.get_by_role("button", name="Remove the background").click()
    visitor.wait_for_url(re.compile(r"/batches/[0-9a-f-]{36}/$"))
    expect(visitor.locator(".batch-card")).to_have_count(5)
    expect(visitor.get_by_text("5 of 5 finished")).to_be_visible(timeout=120_000)
    expect(visitor.locator(".batch-card[data-state=done] img")).to_have_count(5)
    shot(visitor, "batch")
    for card in visitor.locator(
        ".batch-card"
    ).all():  # previews load lazily, as they come into view
        card.scroll_into_view_if_needed()
    _all_decoded(visitor, ".batch-card img")

    with visitor.expect_download() as info:
        visitor.get_by_role("button", name="Download all").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    with zipfile.ZipFile(target) as results:
        names = results.namelist()
        assert len(names) == 5
        for name, photo in zip(names, five_photos, strict=True):
            assert photo.stem in name
            picture = Image.open(io.BytesIO(results.read(name)))
            picture.load()  # decodes every pixel
            assert (picture.format, picture.mode) == ("PNG", "RGBA")


def test_a_refused_look_change_says_why_and_keeps_the_picture(
    visitor, live_server, celery_worker, photo_file, settings
):
    settings.JOB_RENDER_RATE_LIMIT = 1  # one change of look per job, then "too many"
    visitor.expected_errors.append("status of 429 (Too Many Requests)")
    visitor.goto(live_server.url + "/portrait/")
    visitor.set_input_files("input[type=file]", str(photo_file))
    visitor.get_by_role("button", name="Blur the background").click()
    _result_ready(visitor)
    visitor.get_by_label("Lens: lights become round discs").check()
    expect(visitor.locator("[data-part=caption]")).to_contain_text("lens blur", timeout=30_000)
    soft = visitor.get_by_label("Soft")
    soft.check()
    expect(visitor.get_by_role("alert")).to_contain_text("more changes than we can make")
    expect(visitor.locator("[data-role=updating]")).to_be_hidden()
    expect(soft).to_be_focused()
    assert _share_in_view(visitor, "img[data-role=result]") >= 0.5


def test_a_large_upload_shows_its_progress(visitor, live_server, celery_worker, tmp_path):
    from skimage import data

    big = tmp_path / "big.png"  # a real photo, about 1 MB as a PNG
    Image.fromarray(data.astronaut()).resize((1024, 1024)).save(big)
    visitor.goto(live_server.url + "/portrait/")
    # A slow uplink, so the bar has time to move: about 1 MB/s.
    cdp = visitor.context.new_cdp_session(visitor)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 1_000_000},
    )
    visitor.set_input_files("input[type=file]", str(big))
    visitor.get_by_role("button", name="Blur the background").click()
    bar = visitor.get_by_role("progressbar", name="Upload progress")
    expect(bar).to_be_visible()
    expect(visitor.get_by_text(re.compile(r"Uploading… [1-9]\d?% of"))).to_be_visible()
    shot(visitor, "uploading")
    visitor.wait_for_url(JOB_URL, timeout=60_000)


def test_a_waiting_job_says_so_and_how_long_it_has_waited(visitor, live_server, photo_file):
    from config import celery_app

    celery_app.control.purge()  # no worker in this test: the job stays in the queue
    visitor.goto(live_server.url + "/portrait/")
    visitor.set_input_files("input[type=file]", str(photo_file))
    visitor.get_by_role("button", name="Blur the background").click()
    visitor.wait_for_url(JOB_URL)
    expect(visitor.get_by_text("Waiting for a free worker…")).to_be_visible()
    expect(visitor.get_by_text(re.compile(r"^\d+ s so far$"))).to_be_visible(timeout=10_000)


def test_focus_on_the_download_link_survives_a_new_look(
    visitor, live_server, celery_worker, photo_file
):
    visitor.goto(live_server.url + "/remove-background/")
    visitor.set_input_files("input[type=file]", str(photo_file))
    visitor.get_by_role("button", name="Remove the background").click()
    _result_ready(visitor)
    visitor.get_by_label("File type").select_option("webp-lossless")
    download = visitor.get_by_role("link", name=re.compile("^Download (PNG|WebP)"))
    download.focus()
    expect(visitor.get_by_role("link", name="Download WebP")).to_be_visible(timeout=30_000)
    expect(visitor.get_by_role("link", name="Download WebP")).to_be_focused()


def test_one_look_for_a_whole_batch_reaches_every_photo_even_those_still_working(
    visitor, live_server, celery_worker, five_photos
):
    visitor.goto(live_server.url + "/portrait/")
    visitor.set_input_files("input[type=file]", [str(p) for p in five_photos[:2]])
    visitor.get_by_role("button", name="Blur the background").click()
    visitor.wait_for_url(re.compile(r"/batches/[0-9a-f-]{36}/$"))
    looks = []
    visitor.on("request", lambda r: looks.append(r.url) if r.url.endswith("/look") else None)
    visitor.get_by_text("One look for both photos").click()
    visitor.get_by_label("Lens: lights become round discs").check()
    expect(visitor.get_by_text("2 of 2 finished")).to_be_visible(timeout=120_000)
    assert len(looks) == 1  # one post for the whole batch, by the shared look script
    batch_id = visitor.url.rstrip("/").rsplit("/", 1)[1]
    jobs = visitor.request.get(f"{live_server.url}/api/batches/{batch_id}").json()["jobs"]
    for job in jobs:
        for _ in range(100):  # a photo finished before the click gets its new look after it
            state = visitor.request.get(job["status_url"]).json()
            if state["status"] == "done" and state["options"]["style"] == "lens":
                break
            visitor.wait_for_timeout(200)
        assert state["options"]["style"] == "lens"
