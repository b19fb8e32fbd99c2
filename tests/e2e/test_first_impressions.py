"""What a visitor meets first, in a real Chromium at laptop and phone sizes: before/after
pictures on the home and tool pages, the server's own words for a refused upload, and
the API page fitting a phone."""

import base64
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SIZES, shot

pytestmark = pytest.mark.e2e

NOT_A_PHOTO = "This file is not a photo we can read"
# Set SCREENSHOTS=folder to keep a picture of each page as a visitor saw it.


@pytest.fixture
def notes(tmp_path) -> Path:
    """A text file named like a photo: the browser's checks pass it, the server's do not."""
    path = tmp_path / "holiday.jpg"
    path.write_text("shopping list: milk, bread, film for the camera\n")
    return path


def _refusal_shown(page, url: str) -> None:
    """The red box says the server's reason, and not the page's own intro sentence."""
    alert = page.locator(".upload [role=alert]")
    expect(alert).to_contain_text(NOT_A_PHOTO)
    intro = page.locator("main .lead").inner_text()
    assert intro not in alert.inner_text()
    assert page.url == url  # still on the tool page, the photo can be chosen again
    expect(page.get_by_role("button", name="Blur the background")).to_be_enabled()


def test_a_chosen_file_that_is_not_a_photo_gets_the_servers_reason(visitor, live_server, notes):
    visitor.expected_errors = ["400"]  # the refused upload, as the browser logs it
    url = live_server.url + "/portrait/"
    visitor.goto(url)
    visitor.set_input_files("input[type=file]", str(notes))
    visitor.get_by_role("button", name="Blur the background").click()
    _refusal_shown(visitor, url)
    shot(visitor, "refused-upload")


def test_a_dropped_file_that_is_not_a_photo_gets_the_servers_reason(visitor, live_server, notes):
    visitor.expected_errors = ["400"]
    url = live_server.url + "/portrait/"
    visitor.goto(url)
    transfer = visitor.evaluate_handle(
        """([data, name]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "image/jpeg"}));
            return transfer;
        }""",
        [base64.b64encode(notes.read_bytes()).decode(), notes.name],
    )
    visitor.dispatch_event("main", "dragenter", {"dataTransfer": transfer})
    visitor.dispatch_event("main", "drop", {"dataTransfer": transfer})
    _refusal_shown(visitor, url)


def test_the_api_page_fits_a_phone_and_shows_every_default_whole(visitor, live_server):
    visitor.goto(live_server.url + "/api/")
    width = visitor.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[visitor.size]["width"]
    # No table cell is cut: what it holds fits inside it, and inside the screen.
    cut = visitor.eval_on_selector_all(
        ".api table td, .api table th",
        """cells => cells.filter(c => c.offsetParent !== null).filter(c =>
            c.scrollWidth > c.clientWidth + 1 || c.getBoundingClientRect().right > innerWidth
        ).map(c => c.textContent)""",
    )
    assert cut == []
    defaults = visitor.locator(".api table").first.locator("tr", has_text="background")
    expect(defaults).to_contain_text("transparent")
    shot(visitor, "api")


# --- pictures before the upload ---

EXAMPLES = {"/": 2, "/portrait/": 1, "/remove-background/": 1}


def _loaded(page, selector: str) -> list[dict]:
    """Every image matched, once decoded: where it came from and where it sits."""
    expect(page.locator(selector).first).to_be_visible()
    for _ in range(100):
        found = page.eval_on_selector_all(
            selector,
            """imgs => imgs.map(i => ({src: i.currentSrc, done: i.complete && i.naturalWidth > 0,
                box: i.getBoundingClientRect().toJSON()}))""",
        )
        if all(image["done"] for image in found):
            return found
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector}: not every image loaded")


@pytest.mark.parametrize("path", list(EXAMPLES))
def test_each_page_opens_on_real_before_and_after_pictures(visitor, live_server, path):
    requests = []
    visitor.on("request", lambda request: requests.append(request.url))
    visitor.goto(live_server.url + path)
    images = _loaded(visitor, "[data-compare] img")
    assert len(images) == 2 * EXAMPLES[path]  # a photo and its result, for each example
    assert all("/static/img/home/" in image["src"] for image in images)
    assert all(url.startswith(live_server.url) for url in requests)  # nothing from elsewhere
    expect(visitor.locator(".credits").first).to_contain_text(
        "public domain" if path != "/remove-background/" else "CC0"
    )
    shot(visitor, "examples" + path.strip("/").replace("/", "-"))


def test_the_divider_moves_with_the_keyboard(visitor, live_server):
    visitor.goto(live_server.url + "/")
    divider = visitor.get_by_role("slider", name="Portrait mode, before and after")
    expect(divider).to_be_visible()
    expect(divider).to_have_attribute("aria-valuenow", "50")
    divider.focus()
    visitor.keyboard.press("ArrowRight")
    expect(divider).to_have_attribute("aria-valuenow", "55")
    visitor.keyboard.press("Home")
    expect(divider).to_have_attribute("aria-valuetext", "0% original")
    # At 0% the result covers the whole frame: nothing of the photo is left showing.
    after = visitor.locator("[data-compare] .compare-after").first
    assert after.evaluate("el => getComputedStyle(el).clipPath") in (
        "inset(0px 0px 0px 0%)",
        "inset(0px)",
    )
    visitor.keyboard.press("End")
    expect(divider).to_have_attribute("aria-valuenow", "100")
    # The other example's divider did not move.
    other = visitor.get_by_role("slider", name="Background remover, before and after")
    expect(other).to_have_attribute("aria-valuenow", "50")


@pytest.mark.parametrize("path", ["/portrait/", "/remove-background/"])
def test_the_example_sits_beside_the_upload_box_on_a_laptop_and_below_it_on_a_phone(
    visitor, live_server, path
):
    visitor.goto(live_server.url + path)
    _loaded(visitor, "[data-compare] img")
    upload = visitor.locator("form.upload").bounding_box()
    example = visitor.locator("[data-compare]").bounding_box()
    width = SIZES[visitor.size]["width"]
    if visitor.size == "desktop":
        assert example["x"] >= upload["x"] + upload["width"]  # beside it, not under it
        assert example["x"] + example["width"] > 0.85 * width  # the right of the screen is used
        assert example["y"] < upload["y"] + upload["height"]  # and at the same height
        assert example["y"] + example["height"] <= SIZES[visitor.size]["height"]  # in view
    else:
        assert example["y"] >= upload["y"] + upload["height"]  # the upload comes first
        assert example["width"] > 0.8 * width


def test_without_javascript_the_pictures_stand_side_by_side(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=SIZES["desktop"])
    page = context.new_page()
    page.goto(live_server.url + "/portrait/")
    before, after = _loaded(page, "[data-compare] img")
    assert after["box"]["x"] >= before["box"]["x"] + before["box"]["width"]  # side by side
    assert abs(after["box"]["y"] - before["box"]["y"]) < 1
    expect(page.locator("[data-role=compare-divider]")).to_be_hidden()
    expect(page.locator("[data-role=compare-hint]")).to_be_hidden()  # no line to drag
    context.close()
