"""The daily digest over a real SMTP server: one e-mail per account and day however
many workers race, listing the unread notices of the kinds the account wants daily
(kinds and links only), each notice in one digest; a failed send is tried again."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from matcher.jobs.digest import send_digests
from matcher.jobs.mail import deliver_mail
from matcher.service import accounts, notifications, referrals
from matcher.service.notifications import Kind, Mode
from matcher.settings import get_settings
from matcher.store import tables as t
from tests.service.world import CM, NOW, ORG, TTL, hold, person, program, run, seed, together
from tests.smtp import Inbox, free_port


def _daily_provider(engine: Engine) -> str:
    def make(s: Session) -> str:
        made = accounts.create_account(
            s,
            username="harbor",
            role="provider",
            password=None,
            subject_id=ORG,
            now=NOW,
            email="intake@harbor.example.org",
        ).account_id
        notifications.set_preference(s, made, Kind.REFERRAL_SENT, Mode.DAILY)
        return made

    return run(engine, make)


def _send(engine: Engine, participant: str) -> str:
    sent = hold(engine, participant, f"{participant}-0", "a")
    run(engine, lambda s: referrals.confirm(s, CM, sent.referral_id, NOW, TTL))
    return sent.referral_id


def _body(raw: bytes) -> tuple[str, str]:
    mail = message_from_bytes(raw)
    return str(mail["Subject"]), mail.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_racing_workers_send_one_digest_a_day_listing_each_notice_once(
    engine: Engine, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    seed(engine, [program("a")], [person("p1"), person("p2"), person("p3")])
    _daily_provider(engine)
    first, second = _send(engine, "p1"), _send(engine, "p2")
    assert deliver_mail(engine, lambda: NOW) == 0  # daily: not mailed at once
    counts = together(lambda: send_digests(engine, lambda: NOW))
    assert sum(counts) == 1
    third = _send(engine, "p3")
    assert send_digests(engine, lambda: NOW + timedelta(hours=3)) == 0  # one a day
    assert send_digests(engine, lambda: NOW + timedelta(days=1)) == 1
    assert send_digests(engine, lambda: NOW + timedelta(days=2)) == 0  # nothing new
    (to, raw), (_, raw_next) = inbox.received
    assert to == ["intake@harbor.example.org"]
    subject, body = _body(raw)
    assert "(2)" in subject
    notices = run(engine, lambda s: s.exec(select(t.Notification)).all())

    def opens(referral_id: str) -> str:
        (notice,) = [n for n in notices if n.link.endswith(f"#referral-{referral_id}")]
        return f"https://matcher.example.org/web/inbox/{notice.id}"

    assert opens(first) in body.split()
    assert opens(second) in body.split()
    assert opens(third) not in body.split()
    assert "A referral arrived" in body
    assert "p1" not in body
    assert "p2" not in body
    assert opens(third) in _body(raw_next)[1].split()
    rows = run(engine, lambda s: s.exec(select(t.Digest)).all())
    assert sorted((d.day, d.notices) for d in rows) == [("2026-11-02", 2), ("2026-11-03", 1)]


def test_a_failed_digest_is_not_recorded_and_is_sent_on_the_next_run(
    engine: Engine, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    seed(engine, [program("a")], [person("p1")])
    _daily_provider(engine)
    _send(engine, "p1")
    monkeypatch.setenv("MATCHER_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody there
    get_settings.cache_clear()
    assert send_digests(engine, lambda: NOW) == 0
    assert run(engine, lambda s: s.exec(select(t.Digest)).all()) == []
    monkeypatch.setenv("MATCHER_SMTP_URL", f"smtp://127.0.0.1:{port}")
    get_settings.cache_clear()
    assert send_digests(engine, lambda: NOW) == 1
    assert len(inbox.received) == 1


def test_read_notices_and_other_modes_are_left_out(engine: Engine, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    seed(engine, [program("a")], [person("p1")])
    account = _daily_provider(engine)
    _send(engine, "p1")
    (notice,) = run(engine, lambda s: s.exec(select(t.Notification.id)).all())
    assert notice is not None
    run(engine, lambda s: notifications.mark_read(s, account, notice, NOW))
    assert send_digests(engine, lambda: NOW) == 0
    assert inbox.received == []
