import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# No background traffic: this machine has no internet, and Chromium's attempts
# to reach Google's services only slow it down.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread; nothing here
    # touches the database, so Django's guard against ORM calls from async
    # code can rest, for the browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()


SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(SIZES))
def visitor(request, browser):
    """A page at laptop and at phone size that fails the test on any console error but
    those it provokes on purpose (`page.expected_errors`). A test meant for one size
    says so with @pytest.mark.parametrize("visitor", ["phone"], indirect=True)."""
    phone = request.param == "phone"
    context = browser.new_context(
        viewport=SIZES[request.param], is_mobile=phone, has_touch=phone, accept_downloads=True
    )
    page = context.new_page()
    page.size = request.param
    page.expected_errors = []  # what a test provokes on purpose, e.g. a 429 it asked for
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert [e for e in errors if not any(x in e for x in page.expected_errors)] == []


SCREENSHOTS = os.environ.get("SCREENSHOTS")  # a folder: the browser tests leave pictures there


def shot(page, name: str) -> None:
    """A screenshot to look at, when SCREENSHOTS names a folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{name}-{page.size}.png")
