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
from tests.web.conftest import csrf_of, sign_in


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
