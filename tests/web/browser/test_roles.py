"""Each role's daily task in a real browser: Debian's Chromium, driven by Playwright,
against the app served on 127.0.0.1. Nothing is fetched from the internet.

Fixtures (the served app, the browser) are in ``conftest``; screenshots go where
``MATCHER_SCREENSHOTS`` says.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import BrowserContext, expect
from sqlalchemy import Engine
from sqlmodel import select

from matcher.demo import pick_participant
from matcher.service import accounts, audit
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import START, Clock
from tests.web.browser.kit import accessible, sign_in
from tests.web.conftest import ORG, PASSWORD, SAMPLE


def test_a_provider_updates_places_and_a_stale_form_says_so(
    base: str, browser: BrowserContext, shots: Path
) -> None:
    program = next(p for p in SAMPLE.programs if p.provider_id == ORG)
    first = browser.new_page()
    sign_in(first, base, "pat")
    expect(first.get_by_role("heading", name=program.name or program.id)).to_be_visible()
    stale = browser.new_page()  # a second tab, opened before the first one saves
    stale.goto(f"{base}/web/provider")

    card = first.locator(f'article[data-program="{program.id}"]')
    card.get_by_label("Open places").fill("6")
    card.get_by_label("Waiting").fill("1")
    card.get_by_role("button", name="Save").click()
    expect(first.get_by_role("status")).to_contain_text("6 open, 1 waiting")
    expect(first.locator(f'article[data-program="{program.id}"] dd.open')).to_have_text("6")
    first.get_by_role("button", name=f"One place filled at {program.name}").click()
    expect(first.locator(f'article[data-program="{program.id}"] dd.open')).to_have_text("5")
    first.screenshot(path=str(shots / "provider.png"), full_page=True)

    old = stale.locator(f'article[data-program="{program.id}"]')
    old.get_by_label("Open places").fill("2")
    old.get_by_role("button", name="Save").click()
    alert = stale.locator(f'article[data-program="{program.id}"] [role="alert"]')
    expect(alert).to_contain_text("Not saved")
    expect(alert).to_contain_text("The current numbers are 5 open and 1 waiting")
    stale.locator(f'article[data-program="{program.id}"]').screenshot(
        path=str(shots / "provider-stale.png")
    )


def test_a_case_manager_holds_a_place_and_the_provider_sees_the_referral(
    base: str, browser: BrowserContext, store: Engine, shots: Path
) -> None:
    person = pick_participant(SAMPLE)
    page = browser.new_page()
    sign_in(page, base, "ana")
    page.screenshot(path=str(shots / "case-load.png"), full_page=True)
    page.get_by_role("link", name=person, exact=True).click()
    expect(page.get_by_role("heading", name=person, exact=True)).to_be_visible()
    page.get_by_role("button", name="Find places").click()
    best = page.locator("li.option.best").first
    expect(best).to_be_visible()
    page.screenshot(path=str(shots / "find-places.png"), full_page=True)
    program_id = best.get_attribute("data-program")
    assert program_id
    best.get_by_role("button", name="Hold a place").click()
    expect(page.get_by_role("status")).to_contain_text("Place held until")

    with session_scope(store) as s:
        program = s.get(t.Program, program_id)
        assert program is not None
        exists = s.exec(select(t.Account).where(t.Account.username == "intake")).first()
        if exists is None:
            accounts.create_account(
                s,
                username="intake",
                role="provider",
                password=PASSWORD,
                subject_id=program.organization_id,
                now=START,
            )
    held = page.locator('article.referral[data-status="held"]').first
    held.get_by_label("consents").check()
    held.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_role("status")).to_contain_text("Referral sent")
    page.screenshot(path=str(shots / "participant.png"), full_page=True)

    provider = browser.new_page()
    provider.context.clear_cookies()
    sign_in(provider, base, "intake")
    incoming = provider.locator("article.referral").filter(has_text=person)
    expect(incoming).to_be_visible()
    expect(incoming.get_by_role("button", name="Enrol")).to_be_visible()
    provider.screenshot(path=str(shots / "provider-referral.png"), full_page=True)

    # Both are told: the provider's inbox has the referral, the case manager's the answer.
    provider.get_by_role("link", name=re.compile("Inbox")).click()
    told = provider.locator("li, article").filter(has_text="A referral arrived")
    expect(told.first).to_be_visible()
    provider.goto(f"{base}/web/provider")
    incoming = provider.locator("article.referral").filter(has_text=person)
    incoming.get_by_role("button", name="Enrol").click()
    expect(provider.get_by_role("status")).to_contain_text("nrol")
    provider.context.clear_cookies()
    sign_in(provider, base, "ana")
    provider.get_by_role("link", name=re.compile("Inbox .* unread")).click()
    answered = provider.locator("li, article").filter(has_text="A referral was answered")
    expect(answered.first).to_be_visible()
    expect(answered.first).to_contain_text(person)


def test_a_funder_sees_the_suppressed_table_and_plans_a_purchase(
    base: str, browser: BrowserContext, shots: Path
) -> None:
    page = browser.new_page()
    sign_in(page, base, "fiona")
    table = page.locator("table.counts").first
    expect(table).to_be_visible()
    for cell in table.locator("td").all_inner_texts():
        assert cell.startswith("•") or not 1 <= int(cell) <= 10
    page.get_by_label("New money to spend").fill("25000")
    page.get_by_role("button", name="Plan purchases").click()
    expect(page.locator("#plan")).to_contain_text("Plan for $25,000")
    page.screenshot(path=str(shots / "funder.png"), full_page=True)


def test_a_case_manager_records_a_new_participant_from_a_phone(
    base: str, browser: BrowserContext, shots: Path
) -> None:
    page = browser.new_page()
    sign_in(page, base, "ana")
    page.get_by_role("link", name="New participant").click()
    page.get_by_label("Where you meet them").select_option(index=1)
    page.get_by_label("Need 1").select_option("housing.*")
    page.get_by_label("Acute").first.check()
    page.get_by_label("Need 2").select_option("food.meals")
    page.screenshot(path=str(shots / "new-participant.png"), full_page=True)
    page.get_by_role("button", name="Record participant").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"p-[0-9a-f]+ recorded"))
    expect(page.locator("ol.plan li").first).to_contain_text("acute")
    page.get_by_role("button", name="Find places").click()
    expect(page.locator("section.need").first).to_be_visible()


def test_a_provider_confirms_an_old_report_in_one_tap(
    base: str, browser: BrowserContext, clock: Clock, shots: Path
) -> None:
    program = next(p for p in SAMPLE.programs if p.provider_id == ORG)
    clock.advance(days=8)  # a week later, nobody has reported
    try:
        page = browser.new_page()
        sign_in(page, base, "pat")
        card = page.locator(f'article[data-program="{program.id}"]')
        expect(card.locator(".stale-report")).to_contain_text("more than 7 days old")
        expect(card.locator(".reported")).to_contain_text("days ago")
        accessible(page)
        before = card.locator("dd.open").inner_text()
        card.get_by_role("button", name="Still correct").click()
        expect(page.get_by_role("status")).to_contain_text(f"Confirmed {program.name}: still")
        card = page.locator(f'article[data-program="{program.id}"]')
        expect(card.locator(".reported")).to_contain_text("Reported just now")
        expect(card.locator(".stale-report")).to_have_count(0)
        expect(card.locator("dd.open")).to_have_text(before)
        page.screenshot(path=str(shots / "provider-still-correct.png"), full_page=True)
    finally:
        clock.now = START


def test_an_auditor_filters_the_log_by_account_and_action(
    base: str, browser: BrowserContext, store: Engine, shots: Path
) -> None:
    with session_scope(store) as s:
        audit.record_many(
            s,
            [
                audit.Entry(
                    START,
                    "acct-quinn",
                    "provider",
                    "referral.enrol",
                    "referral",
                    "r-77",
                    "allowed",
                    200,
                    "quinn",
                ),
                audit.Entry(
                    START,
                    "acct-rae",
                    "provider",
                    "capacity.report",
                    "program",
                    "p-1",
                    "allowed",
                    200,
                    "rae",
                ),
            ],
        )
    page = browser.new_page()
    sign_in(page, base, "audrey")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    accessible(page)
    page.get_by_label("Account name").fill("quinn")
    page.get_by_label("Action").select_option("referral.enrol")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("quinn")
    expect(rows.first).to_contain_text("r-77")
    expect(page.get_by_label("Account name")).to_have_value("quinn")
    accessible(page)
    page.screenshot(path=str(shots / "audit.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("at,actor,role,action")
    assert len(lines) == 2
    assert "r-77" in lines[1]


def test_an_officer_refers_someone_into_lead_from_a_phone(
    base: str, browser: BrowserContext, shots: Path
) -> None:
    page = browser.new_page()
    sign_in(page, base, "rex")
    expect(page.get_by_role("heading", name="Refer someone to LEAD")).to_be_visible()
    accessible(page)
    page.get_by_label("Your reference").fill("D-880")
    page.get_by_label("What the LEAD team should know").fill("sleeping at the pier")
    page.get_by_role("button", name="Send the referral").click()
    expect(page.get_by_role("heading", name="Referral received")).to_be_visible()
    expect(page.locator("dl.receipt")).to_contain_text("D-880")
    expect(page.locator("main")).not_to_contain_text("sleeping at the pier")
    accessible(page)
    page.screenshot(path=str(shots / "officer-receipt.png"), full_page=True)
