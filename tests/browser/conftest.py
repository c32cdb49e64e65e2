"""Playwright driving Debian's chromium (never `playwright install`): skipped, with the reason,
only when /usr/bin/chromium is absent (CI installs it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per test module. Not per session: Playwright's sync API keeps an event loop
    running in this thread while it lives, and the asyncio tests that follow need the thread free."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=LAPTOP)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(20_000)
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def login(page: Any, url: str, token: str) -> None:
    page.goto(url + "/")
    page.fill("#token", token)
    page.click("#login-btn")
    page.wait_for_selector("#main:not([hidden])")


def screenshots(page: Any, name: str) -> None:
    """Save the current view at phone and laptop widths: into docs/screenshots/ when
    SHOREWATCH_SCREENSHOTS=1 (to refresh the README's pictures), else into a temporary folder,
    so a test run leaves the work tree clean."""
    import os
    import tempfile

    out = (
        SCREENSHOTS
        if os.environ.get("SHOREWATCH_SCREENSHOTS") == "1"
        else Path(tempfile.gettempdir()) / "shorewatch-screenshots"
    )
    out.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.getElementById('toast').classList.remove('show')")
    for label, size in (("phone", PHONE), ("laptop", LAPTOP)):
        page.set_viewport_size(size)
        page.wait_for_timeout(250)  # let the map's ResizeObserver and layout settle for the picture
        page.screenshot(path=str(out / f"{name}-{label}.png"))
    page.set_viewport_size(LAPTOP)
