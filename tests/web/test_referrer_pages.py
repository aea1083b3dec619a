"""The officer's page: a referral into LEAD from a form, its receipt and nothing else;
a form that breaks a rule keeps what was typed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from matcher.service import audit
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.web.conftest import csrf_of, sign_in

NOTE = "asked for a shelter bed tonight"


def test_an_officer_refers_someone_and_sees_the_receipt(
    pages: TestClient, web_engine: Engine
) -> None:
    form = sign_in(pages, "rex")
    assert "<h1>Refer someone to LEAD</h1>" in form
    sent = pages.post(
        "/web/referrer/intakes",
        data={"reference": " D-501 ", "note": NOTE, "csrf_token": csrf_of(form)},
    )
    assert sent.status_code == 200
    assert "Referral received" in sent.text
    assert "D-501" in sent.text
    assert NOTE not in sent.text  # the receipt shows that it arrived, not what was said
    found = re.search(r'data-intake="([0-9a-f]+)"', sent.text)
    assert found
    with session_scope(web_engine) as s:
        row = s.get(t.Intake, found.group(1))
        assert row is not None
        officer = s.exec(select(t.Account).where(t.Account.username == "rex")).one()
        assert (row.reference, row.note, row.referrer_id) == ("D-501", NOTE, officer.id)
        recorded = audit.query(s, username="rex", action="intake.submit")
    assert [e.outcome for e in recorded] == ["allowed"]
    # the case managers see it in their queue
    assert "D-501" in sign_in(pages, "ana")


def test_a_form_that_breaks_a_rule_keeps_what_was_typed_and_stores_nothing(
    pages: TestClient, web_engine: Engine
) -> None:
    form = sign_in(pages, "rex")
    empty = pages.post(
        "/web/referrer/intakes", data={"reference": "  ", "note": NOTE, "csrf_token": csrf_of(form)}
    )
    assert empty.status_code == 422
    assert "Give your own reference" in empty.text
    assert f">{NOTE}</textarea>" in empty.text
    long = pages.post(
        "/web/referrer/intakes",
        data={"reference": "D-9", "note": "x" * 2001, "csrf_token": csrf_of(form)},
    )
    assert long.status_code == 422
    assert "at most 2000 characters" in long.text
    assert 'value="D-9"' in long.text
    with session_scope(web_engine) as s:
        assert s.exec(select(t.Intake)).all() == []


def test_the_officer_page_needs_the_role_the_form_token_and_shows_only_own_receipts(
    pages: TestClient, web_engine: Engine
) -> None:
    form = sign_in(pages, "rex")
    forged = pages.post("/web/referrer/intakes", data={"reference": "D-1", "csrf_token": ""})
    assert forged.status_code == 403
    sent = pages.post(
        "/web/referrer/intakes", data={"reference": "D-2", "csrf_token": csrf_of(form)}
    )
    found = re.search(r'data-intake="([0-9a-f]+)"', sent.text)
    assert found
    receipt = f"/web/referrer/intakes/{found.group(1)}"
    for username in ("ana", "pat", "audrey"):
        other = sign_in(pages, username)
        assert pages.get("/web/referrer").status_code == 403
        assert pages.get(receipt).status_code == 403
        posted = pages.post(
            "/web/referrer/intakes", data={"reference": "D-3", "csrf_token": csrf_of(other)}
        )
        assert posted.status_code == 403
    with session_scope(web_engine) as s:
        assert [r.reference for r in s.exec(select(t.Intake))] == ["D-2"]
    sign_in(pages, "rex")
    assert pages.get("/web/referrer/intakes/nope").status_code == 404
