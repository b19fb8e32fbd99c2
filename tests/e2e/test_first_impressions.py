"""What a visitor meets first, in a real Chromium at laptop and phone sizes: the server's
own words for a refused upload, and the API page fitting a phone."""

import base64
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
NOT_A_PHOTO = "This file is not a photo we can read"
# Set SCREENSHOTS=folder to keep a picture of each page as a visitor saw it.
SCREENSHOTS = os.environ.get("SCREENSHOTS")


@pytest.fixture(params=list(SIZES))
def visitor(request, browser):
    """A page at one screen size that fails the test on any console error but those expected."""
    phone = request.param == "phone"
    context = browser.new_context(viewport=SIZES[request.param], is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.size = request.param
    page.expected_errors = []
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert [e for e in errors if not any(x in e for x in page.expected_errors)] == []


@pytest.fixture
def notes(tmp_path) -> Path:
    """A text file named like a photo: the browser's checks pass it, the server's do not."""
    path = tmp_path / "holiday.jpg"
    path.write_text("shopping list: milk, bread, film for the camera\n")
    return path


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{name}-{page.size}.png")


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
    _shot(visitor, "refused-upload")


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
    _shot(visitor, "api")
