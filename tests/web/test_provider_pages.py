"""The provider's page says how old each report is, confirms one in a tap through the
same version check as a typed report, names things in words, and never records a
reason nobody chose."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from api.web.labels import DECLINE_LABELS, END_LABELS, ago, organization_name
from matcher.capacity.referral import DECLINE_REASONS, END_REASONS
from matcher.demo import pick_participant
from matcher.money import dollars
from matcher.service import accounts, capacity, consent, referrals
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import CM, START
from tests.web.conftest import ORG, PASSWORD, SAMPLE, csrf_of, sign_in
from tests.web.test_referral_pages import TTL, _hold_the_pick

PROGRAM = next(p for p in SAMPLE.programs if p.provider_id == ORG)
STILL = f"/web/provider/programs/{PROGRAM.id}/still-correct"


def _report(engine: Engine, days_ago: float, open_slots: int = 3, waitlist: int = 1) -> int:
    """A report made ``days_ago`` before the clock's now; its version."""
    with session_scope(engine) as s:
        view = capacity.report_capacity(
            s,
            ORG,
            PROGRAM.id,
            open_slots=open_slots,
            waitlist=waitlist,
            actor="pat",
            now=START - timedelta(days=days_ago),
        )
    return view.version


def _card(html: str, program_id: str) -> str:
    return html.split(f'data-program="{program_id}"', 1)[1].split("</article>", 1)[0]


def test_the_label_tables_cover_every_reason_in_the_lifecycle() -> None:
    assert tuple(DECLINE_LABELS) == DECLINE_REASONS
    assert tuple(END_LABELS) == END_REASONS


def test_money_reads_as_people_write_it() -> None:
    assert [dollars(x) for x in (1100, 1600.0, 12.5, 0.07, -3, 25000)] == [
        "$1,100",
        "$1,600",
        "$12.50",
        "$0.07",
        "-$3",
        "$25,000",
    ]


def test_ago_says_how_long_in_the_largest_whole_unit() -> None:
    assert ago(START - timedelta(days=3, hours=5), START) == "3 days ago"
    assert ago(START - timedelta(hours=1), START) == "1 hour ago"
    assert ago(START - timedelta(seconds=20), START) == "just now"
    assert ago(None, START) == "never"


def test_an_old_report_is_flagged_and_still_correct_refreshes_it_without_retyping(
    pages: TestClient, web_engine: Engine
) -> None:
    version = _report(web_engine, days_ago=10, open_slots=3, waitlist=1)
    html = sign_in(pages, "pat")
    card = _card(html, PROGRAM.id)
    assert "Reported 10 days ago" in card
    assert "more than 7 days old" in card
    done = pages.post(STILL, data={"version": version, "csrf_token": csrf_of(html)})
    assert done.status_code == 200
    assert f"Confirmed {PROGRAM.name}: still 3 open, 1 waiting" in done.text
    card = _card(done.text, PROGRAM.id)
    assert "Reported just now" in card
    assert "days old" not in card
    with session_scope(web_engine) as s:
        row = s.get(t.ProgramCapacity, PROGRAM.id)
        assert row is not None
        assert (row.open_slots, row.waitlist, row.report_version) == (3, 1, version + 1)
        audited = s.exec(
            select(t.AuditEvent.action, t.AuditEvent.username).where(
                t.AuditEvent.program_id == PROGRAM.id
            )
        ).all()
    assert ("capacity.report", "pat") in audited


def test_still_correct_from_a_stale_page_is_refused_and_changes_nothing(
    pages: TestClient, web_engine: Engine
) -> None:
    old = _report(web_engine, days_ago=9)
    html = sign_in(pages, "pat")
    newer = _report(web_engine, days_ago=0, open_slots=5, waitlist=0)
    refused = pages.post(STILL, data={"version": old, "csrf_token": csrf_of(html)})
    assert refused.status_code == 409
    assert "Not saved: someone updated this program" in refused.text
    assert "The current numbers are 5 open and 0 waiting" in refused.text
    with session_scope(web_engine) as s:
        row = s.get(t.ProgramCapacity, PROGRAM.id)
        assert row is not None
        assert row.report_version == newer


def test_still_correct_needs_the_form_token_and_the_provider_role(
    pages: TestClient, web_engine: Engine
) -> None:
    version = _report(web_engine, days_ago=8)
    sign_in(pages, "pat")
    assert pages.post(STILL, data={"version": version, "csrf_token": ""}).status_code == 403
    other = sign_in(pages, "ana")
    denied = pages.post(STILL, data={"version": version, "csrf_token": csrf_of(other)})
    assert denied.status_code == 403
    with session_scope(web_engine) as s:
        row = s.get(t.ProgramCapacity, PROGRAM.id)
        assert row is not None
        assert row.report_version == version


def _sent_referral(engine: Engine) -> tuple[str, str, str]:
    """A referral sent to the pick's program, and a provider account ``staff`` for its
    organisation; (referral, program, participant)."""
    person = pick_participant(SAMPLE)
    rid, _, program_id = _hold_the_pick(engine, person)
    with session_scope(engine) as s:
        consent.grant(
            s,
            CM,
            person,
            recipient_type="program",
            recipient_id=program_id,
            categories=["*"],
            starts_at=START,
            ends_at=None,
            now=START,
        )
        referrals.confirm(s, CM, rid, START, TTL)
        program = s.get(t.Program, program_id)
        assert program is not None
        accounts.create_account(
            s,
            username="staff",
            role="provider",
            password=PASSWORD,
            subject_id=program.organization_id,
            now=START,
        )
    return rid, program_id, person


def test_referrals_read_in_words_and_no_reason_is_chosen_for_the_provider(
    pages: TestClient, web_engine: Engine
) -> None:
    rid, program_id, _ = _sent_referral(web_engine)
    html = sign_in(pages, "staff")
    card = html.split(f'data-referral="{rid}"', 1)[1].split("</article>", 1)[0]
    assert "Sent — " in card
    assert "referred (" not in html
    assert '<option value="">Choose a reason</option>' in card
    assert "selected" not in card
    assert 'name="note"' in card
    with session_scope(web_engine) as s:
        program = s.get(t.Program, program_id)
        assert program is not None
        org = s.get(t.Organization, program.organization_id)
        assert org is not None
        name = org.name
    assert f"<h1>{organization_name(org.id, name)}</h1>" in html
    assert program.organization_id not in re.sub(r"<[^>]*>", "", html)  # only in links
    unchosen = pages.post(
        f"/web/provider/referrals/{rid}/decline", data={"reason": "", "csrf_token": csrf_of(html)}
    )
    assert unchosen.status_code == 422
    with session_scope(web_engine) as s:
        assert s.get(t.Referral, rid).status == "referred"  # type: ignore[union-attr]


def test_other_takes_the_providers_words_and_another_reason_drops_them(
    pages: TestClient, web_engine: Engine
) -> None:
    rid, _, _ = _sent_referral(web_engine)
    html = sign_in(pages, "staff")
    declined = pages.post(
        f"/web/provider/referrals/{rid}/decline",
        data={"reason": "other", "note": " closing for repairs ", "csrf_token": csrf_of(html)},
    )
    assert declined.status_code == 200
    assert "Declined" in declined.text
    with session_scope(web_engine) as s:
        row = s.get(t.Referral, rid)
        assert row is not None
        assert (row.status, row.decline_reason, row.note) == (
            "declined",
            "other",
            "closing for repairs",
        )


def test_a_reason_other_than_other_keeps_no_note(pages: TestClient, web_engine: Engine) -> None:
    rid, _, _ = _sent_referral(web_engine)
    html = sign_in(pages, "staff")
    pages.post(
        f"/web/provider/referrals/{rid}/decline",
        data={"reason": "no_capacity", "note": "typed first", "csrf_token": csrf_of(html)},
    )
    with session_scope(web_engine) as s:
        row = s.get(t.Referral, rid)
        assert row is not None
        assert (row.status, row.decline_reason, row.note) == ("declined", "no_capacity", None)


def test_the_lead_reserved_places_are_shown(pages: TestClient) -> None:
    html = sign_in(pages, "pat")
    assert "LEAD-reserved open" in _card(html, PROGRAM.id)


def test_the_case_managers_history_and_consents_name_people_and_programs(
    pages: TestClient, web_engine: Engine
) -> None:
    rid, program_id, person = _sent_referral(web_engine)
    sign_in(pages, "ana")
    html = pages.get(f"/web/case-manager/participants/{person}").text
    history = html.split(f'data-referral="{rid}"', 1)[1].split("</article>", 1)[0]
    assert "(ana)" in history
    assert f"({CM})" not in history
    program = next(p for p in SAMPLE.programs if p.id == program_id)
    consents = html.split('id="consents-h"', 1)[1].split("</ul>", 1)[0]
    assert f"To program <strong>{program.name}</strong>" in consents
    assert f"Revoke the consent to {program.name}" in consents


def test_an_organisation_without_a_name_reads_in_words() -> None:
    assert organization_name("org-harbor", "org-harbor") == "Harbor"
    assert organization_name("org-harbor", "Harbor House") == "Harbor House"
