"""A case manager's day in a real browser, and axe-core on every page of every role at
phone and desktop sizes: the dashboard's filters, holding every starred pick, Back after
a hold, a refused form that keeps what was typed, and signing in again after the
session ended, back on the form.

Fixtures (the served app, the browser) are in ``conftest``.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine

from api.web.session import SESSION_COOKIE
from matcher.demo import pick_participant
from matcher.service import accounts
from matcher.store.engine import session_scope
from tests.api.conftest import START
from tests.web.browser.kit import DESKTOP, MOBILE, accessible, sign_in
from tests.web.conftest import PASSWORD, SAMPLE


def _both_sizes(page: Page, url: str) -> None:
    """axe-core at a phone's size and a desktop's: no serious or critical violation."""
    page.goto(url)
    for size in (MOBILE, DESKTOP):
        page.set_viewport_size(size)
        accessible(page)
    page.set_viewport_size(MOBILE)


def _pages_of(browser: BrowserContext, base: str, username: str, paths: list[str]) -> None:
    browser.clear_cookies()
    page = browser.new_page()
    sign_in(page, base, username)
    for path in paths:
        _both_sizes(page, f"{base}{path}")
    page.close()


def test_every_page_of_every_role_passes_axe_at_phone_and_desktop_sizes(
    base: str, browser: BrowserContext, store: Engine
) -> None:
    person = pick_participant(SAMPLE)
    with session_scope(store) as s:
        accounts.create_account(
            s, username="ada", role="admin", password=PASSWORD, subject_id=None, now=START
        )
    signed_out = browser.new_page()
    _both_sizes(signed_out, f"{base}/web/sign-in")
    _both_sizes(signed_out, f"{base}/web/sign-in?next=/web/case-manager")
    signed_out.close()
    _pages_of(browser, base, "ada", ["/web/admin/deliveries", "/web/admin/deliveries?failed=true"])
    one = f"/web/case-manager/participants/{person}"
    _pages_of(
        browser,
        base,
        "ana",
        [
            "/web/case-manager",
            "/web/case-manager?show=unmet&sort=deadline",
            one,
            f"{one}/places",
            f"{one}/plan",
            f"{one}/details",
            "/web/case-manager/new",
            "/web/inbox",
            "/web/provider",  # another role's page: the error page
        ],
    )
    _pages_of(browser, base, "pat", ["/web/provider", "/web/inbox"])
    _pages_of(browser, base, "fiona", ["/web/funder", "/web/inbox"])
    _pages_of(browser, base, "audrey", ["/web/audit", "/web/audit?action=referral.hold"])
    _pages_of(browser, base, "rex", ["/web/referrer", "/web/inbox"])


def test_the_dashboard_filters_by_link_and_keeps_the_view(
    base: str, browser: BrowserContext, shots: Path
) -> None:
    page = browser.new_page()
    sign_in(page, base, "ana")
    expect(page.get_by_role("heading", name="My case load")).to_be_visible()
    rows = page.locator("table.caseload tbody tr")
    everyone = rows.count()
    assert everyone == len(SAMPLE.participants)
    page.screenshot(path=str(shots / "dashboard-phone.png"), full_page=False)
    page.get_by_label("Show").select_option("unmet")
    page.get_by_label("Sort").select_option("deadline")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"show=unmet.*sort=deadline"))
    unmet = rows.count()
    assert 0 < unmet < everyone
    for text in rows.locator("td.unmet").all_inner_texts():
        assert "_" not in text  # reasons in words, not codes
    expect(page.get_by_label("Show")).to_have_value("unmet")
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(shots / "dashboard-desktop.png"), full_page=False)
    page.set_viewport_size(MOBILE)
    first = rows.first.get_attribute("data-participant")
    assert first
    page.get_by_label("Search pseudonyms").fill(first)
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    page.go_back()
    expect(rows).to_have_count(unmet)


def test_every_starred_pick_is_held_and_back_shows_find_places_again(
    base: str, browser: BrowserContext, shots: Path
) -> None:
    person = pick_participant(SAMPLE)
    page = browser.new_page()
    sign_in(page, base, "ana")
    page.goto(f"{base}/web/case-manager/participants/{person}")
    page.get_by_role("button", name="Find places").click()
    expect(page).to_have_url(re.compile(r"/places\??$"))
    hold_all = page.get_by_role("button", name=re.compile(r"^Hold every starred pick"))
    expect(hold_all).to_be_visible()
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(shots / "find-places-desktop.png"), full_page=False)
    page.set_viewport_size(MOBILE)
    page.screenshot(path=str(shots / "find-places-phone.png"), full_page=False)
    starred = page.locator('input[name="pick"]').count()
    hold_all.click()
    expect(page.get_by_role("status")).to_contain_text(f"Held {starred} place")
    expect(page.locator('article.referral[data-status="held"]')).to_have_count(starred)
    page.go_back()  # Find places again, run afresh: no "Confirm form resubmission"
    expect(page).to_have_url(re.compile(r"/places\??$"))
    expect(page.get_by_role("heading", name=f"Places for {person}")).to_be_visible()
    expect(page.get_by_text("Already held").first).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name=f"Places for {person}")).to_be_visible()


def test_a_refused_form_keeps_everything_typed_and_says_why_in_words(
    base: str, browser: BrowserContext, shots: Path
) -> None:
    page = browser.new_page()
    sign_in(page, base, "ana")
    page.goto(f"{base}/web/case-manager/new")
    page.get_by_label("Where you meet them").select_option(index=1)
    page.get_by_label("Farthest they can travel").fill("-3")
    page.get_by_label("Age", exact=True).fill("44")
    page.get_by_label("Gender, in their words").fill("woman")
    page.get_by_label("Involved in sex work").check()
    page.get_by_label("Need 1").select_option("housing.*")
    page.get_by_role("button", name="Record participant").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Farthest they can travel: must be")
    expect(alert).not_to_contain_text("max_distance_km")
    expect(page.get_by_label("Farthest they can travel")).to_have_value("-3")
    expect(page.get_by_label("Age", exact=True)).to_have_value("44")
    expect(page.get_by_label("Gender, in their words")).to_have_value("woman")
    expect(page.get_by_label("Involved in sex work")).to_be_checked()
    expect(page.get_by_label("Need 1")).to_have_value("housing.*")
    accessible(page)
    page.screenshot(path=str(shots / "form-problem.png"), full_page=False)


def test_signing_in_again_after_the_session_ended_returns_to_the_form(
    base: str, browser: BrowserContext
) -> None:
    person = pick_participant(SAMPLE)
    page = browser.new_page()
    sign_in(page, base, "ana")
    plan = f"{base}/web/case-manager/participants/{person}/plan"
    page.goto(plan)
    browser.clear_cookies(name=SESSION_COOKIE)  # the session ends while the form is open
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Your session ended")).to_be_visible()
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(plan)
    expect(page.get_by_role("heading", name=f"Plan for {person}")).to_be_visible()
