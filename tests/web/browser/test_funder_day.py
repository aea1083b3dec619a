"""A funder's day in a real browser (Debian's Chromium, Playwright), on a phone and a
desktop: the tables rolled up and saying so, a CSV download, the totals in view, the
map with tiles when online and the plain projection offline, and no serious or critical
axe-core violation. Tile requests are answered by the test (or refused, for offline):
nothing is fetched from the internet."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, Route, expect

from tests.web.browser.kit import CHROMIUM, DESKTOP, FLAGS, MOBILE, accessible, sign_in

TILES = "https://tile.openstreetmap.org/**"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGN48uIOAAVcAqkWYzd5AAAAAElFTkSuQmCC"
)
"""A tile of one land-coloured pixel."""


@pytest.fixture(params=[MOBILE, DESKTOP], ids=["phone", "desktop"])
def screen(
    request: pytest.FixtureRequest, playwright: Playwright, tmp_path: Path
) -> Iterator[BrowserContext]:
    """A fresh headless Chromium of each size, its tile requests answered locally."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=FLAGS,
        viewport=request.param,
        accept_downloads=True,
    )
    yield context
    context.close()


def _funder(screen: BrowserContext, base: str) -> Page:
    page = screen.new_page()
    sign_in(page, base, "fiona")
    expect(page.get_by_role("heading", name="Which services are lacking")).to_be_visible()
    return page


def test_a_funder_reads_rolled_up_tables_and_downloads_one(
    base: str, screen: BrowserContext, shots: Path
) -> None:
    tiles: list[str] = []

    def online(route: Route) -> None:
        tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    screen.route(TILES, online)
    page = _funder(screen, base)
    expect(page.locator("p.rollup").first).to_contain_text("Rolled up to")
    where = page.locator("section[aria-labelledby=area-h] table.counts")
    expect(where.get_by_role("rowheader", name="Downtown")).to_be_visible()
    for cell in page.locator("table.counts td").all_inner_texts():
        assert cell.startswith("•") or not 1 <= int(cell) <= 10
    width = page.viewport_size["width"] if page.viewport_size else 0
    for header in page.locator("table.counts thead tr").all():
        last = header.locator("th").last.bounding_box()
        assert last is not None
        assert last["x"] + last["width"] <= width  # the totals stay in view
    with page.expect_download() as waiting:
        where.locator("xpath=../..").get_by_role("link", name="Download as CSV").click()
    rows = list(csv.reader(io.StringIO(Path(waiting.value.path()).read_text())))
    assert rows[0] == ["district", "All services"]
    assert rows[-1][0] == "Total"
    page.wait_for_load_state("networkidle")
    assert tiles, "the map asks for tiles when the browser is online"
    expect(page.locator("figcaption")).to_contain_text("Map tiles: © OpenStreetMap contributors")
    accessible(page)
    size = "desktop" if width > 500 else "phone"
    page.screenshot(path=str(shots / f"funder-{size}.png"), full_page=True)


def test_offline_the_map_is_the_plain_projection_and_the_plan_explains_itself(
    base: str, screen: BrowserContext
) -> None:
    screen.route(TILES, lambda route: route.abort("internetdisconnected"))
    page = _funder(screen, base)
    svg = page.locator("figure.map svg")
    expect(svg.locator("circle.need").first).to_be_visible()
    expect(svg.locator("text.label").first).to_be_visible()
    page.get_by_label("New money to spend").fill("20000")
    page.get_by_role("button", name="Plan purchases").click()
    plan = page.locator("#plan")
    expect(plan).to_contain_text("fewer than 11")
    expect(plan.locator("ul.why-unspent li").first).to_contain_text("unmet needs")
    accessible(page)
