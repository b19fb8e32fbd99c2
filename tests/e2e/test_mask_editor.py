"""A visitor fixes the mask on the result picture itself, in a real Chromium with a real
worker, on a laptop and on a phone: taps, strokes, zoom, the keyboard, a reload."""

import io
import re

import cv2
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.touch import pinch, swipe
from tests.paths import DATA

pytestmark = pytest.mark.e2e
JOB_URL = re.compile(r"/jobs/[0-9a-f-]{36}/$")


def _fetch(page, url: str) -> bytes:
    response = page.request.get(url)
    assert response.ok, url
    return response.body()


def _picture(page, url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(_fetch(page, url))))


def _second_subject(mask: np.ndarray) -> tuple[int, int]:
    """The interior point of the right-hand kept piece, in photo pixels."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 127).astype(np.uint8))
    biggest = np.argsort(stats[1:, cv2.CC_STAT_AREA])[::-1][:2] + 1
    right = max(biggest, key=lambda i: stats[i, cv2.CC_STAT_LEFT])
    depth = cv2.distanceTransform((labels == right).astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return int(x), int(y)


def _two_subjects(page, live_server, tool: str = "/portrait/") -> np.ndarray:
    """The job page of the two-people photo, its result on screen; the mask it has."""
    page.goto(live_server.url + tool)
    page.set_input_files("input[type=file]", str(DATA / "two-subjects.jpg"))
    page.locator("form.upload button[type=submit]").click()
    page.wait_for_url(JOB_URL)
    expect(page.locator("[data-role=download]")).to_be_visible(timeout=60_000)
    return _picture(page, live_server.url + _mask_url(page))


def _mask_url(page) -> str:
    return page.locator("#mask-editor").get_attribute("data-mask-url")


def _fix(page):
    """Turn the picture into the editor; the editor's region."""
    editor = page.get_by_role("region", name="Fix the mask")
    editor.get_by_role("button", name="Fix it on the picture").click()
    expect(page.get_by_role("application")).to_be_visible()
    return editor


def _on_screen(page, point, size) -> tuple[float, float]:
    """Where a photo pixel is on screen now: from the result's own box, zoomed or not."""
    box = page.locator("img[data-role=result]").bounding_box()
    return box["x"] + point[0] * box["width"] / size[0], box["y"] + point[1] * box["height"] / size[
        1
    ]


def _tap(page, point, size) -> None:
    x, y = _on_screen(page, point, size)
    if page.size == "phone":
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)


def _stroke(page, points, size) -> None:
    screen = [_on_screen(page, p, size) for p in points]
    if page.size == "phone":
        swipe(page, screen)
        return
    page.mouse.move(*screen[0])
    page.mouse.down()
    for x, y in screen[1:]:
        page.mouse.move(x, y, steps=3)
    page.mouse.up()


def _landed(page) -> None:
    """The edit's full-size file exists: the download is a link again, nothing updating."""
    expect(page.locator("[data-role=updating]")).to_be_hidden(timeout=60_000)
    expect(page.locator("a[data-role=download][href]")).to_be_visible(timeout=60_000)


def _divider_works(page) -> None:
    divider = page.get_by_role("slider", name="Before and after")
    expect(divider).to_be_visible()
    now = int(divider.get_attribute("aria-valuenow"))
    divider.focus()
    divider.press("ArrowLeft")
    expect(divider).to_have_attribute("aria-valuenow", str(now - 5))
    divider.press("ArrowRight")


def _uncovered(page, selector: str) -> bool:
    """The element is on screen and nothing (the stuck picture, say) lies over its middle."""
    return page.eval_on_selector(
        selector,
        """el => {
            const r = el.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            return y > 0 && y < innerHeight && el.contains(document.elementFromPoint(x, y));
        }""",
    )


def _fixing_two_subjects(page, live_server):
    """Two people, the advisor warning about them, and the editor open: the mask, the
    photo's size, the warning and the editor."""
    mask = _two_subjects(page, live_server)
    several = page.locator(".advice li[data-code=several_subjects]")
    expect(several).to_have_count(1)
    return mask, (mask.shape[1], mask.shape[0]), several, _fix(page)


def test_a_visitor_fixes_the_mask_on_the_result_with_a_tap_and_a_stroke_then_reloads(
    visitor, live_server, celery_worker
):
    page = visitor
    mask, size, several, editor = _fixing_two_subjects(page, live_server)
    # One picture: the editor lies exactly over the result, and the photo is not shown twice.
    marks = page.get_by_role("application").bounding_box()
    result = page.locator("img[data-role=result]").bounding_box()
    assert all(abs(marks[k] - result[k]) < 1.5 for k in ("x", "y", "width", "height"))
    assert page.locator("img[src*='/original']").count() == 1
    shot(page, "fixing")

    before = page.locator("img[data-role=result]").get_attribute("src")
    editor.get_by_label("Tap: remove").check()
    _tap(page, _second_subject(mask), size)
    note = editor.locator("[data-role=mask-note]")
    expect(note).to_have_text(re.compile("1 tap, 0 brush strokes"), timeout=60_000)
    expect(page.locator("img[data-role=result]")).not_to_have_attribute("src", before)
    _landed(page)
    after = page.locator("img[data-role=result]").get_attribute("src")
    change = np.abs(
        _picture(page, live_server.url + after).astype(float)
        - _picture(page, live_server.url + before).astype(float)
    )
    assert change.mean() > 1  # the second person is blurred now, on the same picture
    expect(several).to_have_count(0)
    _divider_works(page)

    # Brush a bit of the background back in, along its top.
    w, h = size
    line = [(round(w * f), round(h * 0.06)) for f in (0.05, 0.08, 0.11)]
    assert all(mask[y, x] < 128 for x, y in line)
    editor.get_by_label("Brush: keep").check()
    _stroke(page, line, size)
    expect(note).to_have_text(re.compile("1 tap, 1 brush stroke"), timeout=60_000)
    _landed(page)
    edited = _picture(page, live_server.url + _mask_url(page) + "?v=stroke")
    assert all(edited[y, x] == 255 for x, y in line)  # painted in, exactly
    _divider_works(page)
    shot(page, "fixed")
    shown = page.locator("img[data-role=result]").get_attribute("src")

    page.reload()
    editor = _fix(page)
    expect(editor.locator("[data-role=mask-note]")).to_have_text(
        re.compile("1 tap, 1 brush stroke"), timeout=30_000
    )
    expect(page.locator("img[data-role=result]")).to_have_attribute("src", shown)
    expect(several).to_have_count(0)
    expect(editor.get_by_role("button", name="Undo")).to_be_enabled()


@pytest.mark.parametrize("visitor", ["phone"], indirect=True)  # it was phones that broke
def test_after_three_edits_on_a_phone_the_download_and_the_look_are_still_at_hand(
    visitor, live_server, celery_worker, tmp_path
):
    page = visitor
    mask = _two_subjects(page, live_server)
    size = (mask.shape[1], mask.shape[0])
    editor = _fix(page)
    note = editor.locator("[data-role=mask-note]")
    w, h = size
    for count, (tool, point) in enumerate(
        [("Tap: remove", _second_subject(mask)), ("Tap: keep", _second_subject(mask))], start=1
    ):
        editor.get_by_label(tool).check()
        _tap(page, point, size)
        expect(note).to_have_text(re.compile(f"{count} taps?, 0 brush"), timeout=60_000)
    editor.get_by_label("Brush: remove").check()
    _stroke(page, [(round(w * 0.9), round(h * 0.9)), (round(w * 0.95), round(h * 0.9))], size)
    expect(note).to_have_text(re.compile("2 taps, 1 brush stroke"), timeout=60_000)
    _landed(page)

    picture = page.locator(".result-picture").bounding_box()
    assert picture["height"] <= 0.6 * 844  # one picture, not two stacked
    page.locator("[data-role=download]").scroll_into_view_if_needed()
    assert _uncovered(page, "[data-role=download]")
    lens = page.get_by_label("Lens: lights become round discs")
    lens.scroll_into_view_if_needed()
    assert _uncovered(page, "input[name=style][value=lens]")
    lens.check()
    expect(page.locator("[data-part=caption]")).to_contain_text("lens blur", timeout=30_000)
    _landed(page)
    shot(page, "three-edits")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download JPEG").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert Image.open(target).format == "JPEG"


def test_zoomed_in_a_tap_lands_where_it_was_aimed_and_a_pinch_never_paints(
    visitor, live_server, celery_worker
):
    page = visitor
    mask = _two_subjects(page, live_server, "/remove-background/")
    size = (mask.shape[1], mask.shape[0])
    editor = _fix(page)
    frame = page.locator(".compare-frame").bounding_box()
    middle = (frame["x"] + frame["width"] * 0.7, frame["y"] + frame["height"] * 0.5)
    edits = []
    page.on("request", lambda r: edits.append(r) if r.url.endswith("/mask") else None)
    if page.size == "phone":
        editor.get_by_label("Brush: keep").check()  # a pinch with the brush must not paint
        spread = frame["width"] * 0.15
        pinch(page, middle, spread, spread * 3)
    else:
        page.get_by_role("button", name="Zoom in").click()
        page.mouse.move(*middle)
        page.mouse.wheel(0, -400)
    zoomed = page.locator("img[data-role=result]").bounding_box()
    assert zoomed["width"] > 2 * frame["width"]
    assert edits == []
    expect(page.get_by_role("button", name="Show the whole photo")).to_be_enabled()
    shot(page, "zoomed")

    # Aim at what is on screen a quarter of the way in, and tap it.
    x, y = frame["x"] + frame["width"] * 0.25, frame["y"] + frame["height"] * 0.3
    aimed = (
        (x - zoomed["x"]) * size[0] / zoomed["width"],
        (y - zoomed["y"]) * size[1] / zoomed["height"],
    )
    editor.get_by_label("Tap: keep").check()
    if page.size == "phone":
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    expect(editor.locator("[data-role=mask-note]")).to_have_text(
        re.compile("1 tap, 0 brush"), timeout=60_000
    )
    job = page.request.get(live_server.url + editor.get_attribute("data-detail-url")).json()
    [tapped] = job["edits"][0]["keep"]
    assert abs(tapped[0] - aimed[0]) <= 1.5 and abs(tapped[1] - aimed[1]) <= 1.5
    page.get_by_role("button", name="Show the whole photo").click()
    whole = page.locator("img[data-role=result]").bounding_box()
    assert abs(whole["width"] - frame["width"]) < 3
    editor.get_by_role("button", name="Reset").click()
    expect(editor.locator("[data-role=mask-note]")).to_have_text(
        re.compile("No edits yet"), timeout=60_000
    )


@pytest.mark.parametrize("visitor", ["desktop"], indirect=True)  # a keyboard belongs to a laptop
def test_the_mask_is_fixed_from_the_keyboard_alone(visitor, live_server, celery_worker):
    page = visitor
    _two_subjects(page, live_server, "/remove-background/")
    editor = page.get_by_role("region", name="Fix the mask")
    start = editor.get_by_role("button", name="Fix it on the picture")
    start.focus()
    page.keyboard.press("Enter")
    note = editor.locator("[data-role=mask-note]")
    expect(note).to_have_text(re.compile("No edits yet"), timeout=30_000)
    editor.get_by_label("Brush: keep").focus()
    page.keyboard.press("Space")  # choose the tool without a mouse
    expect(editor.get_by_label("Brush: keep")).to_be_checked()
    photo = page.get_by_role("application")
    photo.focus()
    page.keyboard.press("+")  # zoom in, then move the marker up from the middle
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("Enter")
    expect(note).to_have_text(re.compile("0 taps, 1 brush stroke"), timeout=60_000)
    page.keyboard.press("Control+z")
    expect(note).to_have_text(re.compile("No edits yet"), timeout=60_000)


@pytest.mark.parametrize("visitor", ["desktop"], indirect=True)  # the advisor is the same on both
def test_a_warning_whose_spot_an_edit_did_not_touch_stays(visitor, live_server, celery_worker):
    page = visitor
    mask, size, several, editor = _fixing_two_subjects(page, live_server)
    editor.get_by_label("Brush: remove").check()
    w, h = size
    corner = [(round(w * 0.03), round(h * 0.05)), (round(w * 0.06), round(h * 0.05))]
    assert all(mask[y, x] < 128 for x, y in corner)  # background already: nothing changes
    _stroke(page, corner, size)
    expect(editor.locator("[data-role=mask-note]")).to_have_text(
        re.compile("0 taps, 1 brush stroke"), timeout=60_000
    )
    _landed(page)
    expect(several).to_have_count(1)
