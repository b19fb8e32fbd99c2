"""A visitor fixes a mask in a real Chromium: a remove-tap, a brush stroke, a reload."""

import io
import re

import cv2
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.paths import DATA

pytestmark = pytest.mark.e2e
JOB_URL = re.compile(r"/jobs/[0-9a-f-]{36}/$")


def _fetch(page, url: str) -> bytes:
    return page.request.get(url).body()


def _second_subject(mask: np.ndarray) -> tuple[int, int]:
    """The interior point of the right-hand kept piece, in photo pixels."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 127).astype(np.uint8))
    biggest = np.argsort(stats[1:, cv2.CC_STAT_AREA])[::-1][:2] + 1
    right = max(biggest, key=lambda i: stats[i, cv2.CC_STAT_LEFT])
    depth = cv2.distanceTransform((labels == right).astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return int(x), int(y)


def _click_photo(page, point, size) -> None:
    stage = page.locator(".mask-marks").bounding_box()
    page.mouse.click(
        stage["x"] + point[0] * stage["width"] / size[0],
        stage["y"] + point[1] * stage["height"] / size[1],
    )


def test_a_visitor_removes_the_second_subject_brushes_a_bit_back_and_reloads(
    page, live_server, celery_worker
):
    page.goto(live_server.url + "/portrait/")
    page.set_input_files("input[type=file]", str(DATA / "two-subjects.jpg"))
    page.get_by_role("button", name="Blur the background").click()
    page.wait_for_url(JOB_URL)
    several = page.locator(".advice li[data-code=several_subjects]")
    expect(several).to_have_count(1, timeout=60_000)
    editor = page.get_by_role("region", name="Fix the mask")
    expect(editor).to_be_visible()

    mask_url = page.locator("#mask-editor").get_attribute("data-mask-url")
    mask = np.asarray(Image.open(io.BytesIO(_fetch(page, live_server.url + mask_url))))
    size = (mask.shape[1], mask.shape[0])
    before = page.locator("img[data-role=result]").get_attribute("src")

    editor.get_by_label("Tap: remove").check()
    _click_photo(page, _second_subject(mask), size)
    expect(several).to_have_count(0, timeout=60_000)
    after = page.locator("img[data-role=result]").get_attribute("src")
    assert after != before
    result_before = _fetch(page, live_server.url + before)
    result_after = _fetch(page, live_server.url + after)
    change = np.abs(
        np.asarray(Image.open(io.BytesIO(result_after)), dtype=float)
        - np.asarray(Image.open(io.BytesIO(result_before)), dtype=float)
    )
    assert change.mean() > 1  # the second person is blurred now
    note = editor.locator("[data-role=mask-note]")
    expect(note).to_have_text(re.compile("1 tap, 0 brush strokes"), timeout=30_000)

    # Brush a small area of the background back in, with the mouse.
    editor.get_by_label("Brush: keep").check()
    stage = page.locator(".mask-marks").bounding_box()
    page.mouse.move(stage["x"] + 40, stage["y"] + 40)
    page.mouse.down()
    page.mouse.move(stage["x"] + 70, stage["y"] + 45, steps=5)
    page.mouse.up()
    expect(note).to_have_text(re.compile("1 tap, 1 brush stroke"), timeout=60_000)
    edited = np.asarray(Image.open(io.BytesIO(_fetch(page, live_server.url + mask_url + "?v=x"))))
    scale = size[0] / stage["width"]
    y, x = round(42 * scale), round(55 * scale)
    assert edited[y, x] == 255 and mask[y, x] < 128  # painted in, exactly

    page.reload()
    expect(note).to_have_text(re.compile("1 tap, 1 brush stroke"), timeout=30_000)
    expect(several).to_have_count(0)
    expect(editor.get_by_role("button", name="Undo")).to_be_enabled()


def test_the_mask_editor_works_from_the_keyboard(page, live_server, celery_worker):
    page.goto(live_server.url + "/remove-background/")
    page.set_input_files("input[type=file]", str(DATA / "two-subjects.jpg"))
    page.get_by_role("button", name="Remove the background").click()
    page.wait_for_url(JOB_URL)
    editor = page.get_by_role("region", name="Fix the mask")
    expect(editor).to_be_visible(timeout=60_000)
    note = editor.locator("[data-role=mask-note]")
    expect(note).to_have_text(re.compile("No edits yet"), timeout=30_000)

    editor.get_by_label("Brush: keep").focus()
    page.keyboard.press("Space")  # choose the tool without a mouse
    expect(editor.get_by_label("Brush: keep")).to_be_checked()
    photo = editor.get_by_role("application")
    photo.focus()
    page.keyboard.press("Shift+ArrowUp")  # the marker starts in the middle of the photo
    page.keyboard.press("Enter")
    expect(note).to_have_text(re.compile("0 taps, 1 brush stroke"), timeout=60_000)
    page.keyboard.press("Control+z")
    expect(note).to_have_text(re.compile("No edits yet"), timeout=60_000)
