"""The inbox page: the unread count in every page's header, the notices with their
links, and marking one read."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from matcher.service import notifications
from matcher.service.notifications import Kind, Notice
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import START
from tests.web.conftest import PASSWORD, csrf_of, sign_in


def test_the_header_counts_unread_and_the_inbox_marks_read(
    pages: TestClient, web_engine: Engine
) -> None:
    with session_scope(web_engine) as s:
        pat = s.exec(select(t.Account).where(t.Account.username == "pat")).one()
        notice = Notice(
            Kind.REFERRAL_SENT, "referral:r-1:referred", "/web/provider#referral-r-1", "p-7"
        )
        notifications.notify(s, [pat.id], notice, START)
    landing = sign_in(pages, "pat")
    assert 'aria-label="1 unread"' in landing
    box = pages.get("/web/inbox")
    assert "A referral arrived" in box.text
    assert 'href="/web/provider#referral-r-1"' in box.text
    assert "p-7" in box.text
    (item_id,) = notifications_of(web_engine, pat.id)
    read = pages.post(f"/web/inbox/{item_id}/read", data={"csrf_token": csrf_of(box.text)})
    assert read.status_code == 200
    assert "Marked read." in read.text
    assert 'unread"' not in read.text.split("</header>")[0]
    assert "(0 unread)" in read.text


def notifications_of(engine: Engine, account_id: str) -> list[int]:
    with session_scope(engine) as s:
        rows = s.exec(select(t.Notification.id).where(t.Notification.account_id == account_id))
        return [int(i) for i in rows.all() if i is not None]


def test_an_e_mailed_link_opens_the_notice_after_sign_in_and_only_ones_own(
    pages: TestClient, web_engine: Engine
) -> None:
    with session_scope(web_engine) as s:
        ana, pat = (
            s.exec(select(t.Account).where(t.Account.username == name)).one()
            for name in ("ana", "pat")
        )
        answered = Notice(
            Kind.REFERRAL_ANSWERED, "referral:r-2:enrolled", "/web/case-manager/participants/p-9"
        )
        notifications.notify(s, [ana.id], answered, START)
        notifications.notify(s, [pat.id], Notice(Kind.CAPACITY_STALE, "k", "/web/provider"), START)
    (own,) = notifications_of(web_engine, ana.id)
    (others,) = notifications_of(web_engine, pat.id)
    link = notifications.inbox_link(own)
    assert "p-9" not in link  # the address an e-mail carries names no participant
    away = pages.get(link, follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"].startswith("/web/sign-in?next=")
    form = pages.get(away.headers["location"]).text
    assert f'name="next" value="{link}"' in form
    data = {"username": "ana", "password": PASSWORD, "csrf_token": csrf_of(form), "next": link}
    signed = pages.post("/web/sign-in", data=data, follow_redirects=False)
    assert signed.headers["location"] == link
    opened = pages.get(link, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/web/case-manager/participants/p-9"
    assert 'unread"' not in pages.get("/web/inbox").text.split("</header>")[0]
    assert pages.get(notifications.inbox_link(others), follow_redirects=False).status_code == 404
