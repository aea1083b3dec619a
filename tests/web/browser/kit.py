"""What the browser tests share: Chromium's place and flags, screen sizes, signing in
through the form, and the axe-core check."""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, ViewportSize

from tests.web.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MOBILE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


def accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    found = Axe().run(page).response["violations"]
    bad = [(v["id"], v["impact"], len(v["nodes"])) for v in found]
    assert not [b for b in bad if b[1] in ("serious", "critical")], bad


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/web")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
