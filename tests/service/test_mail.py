"""E-mail over a real SMTP server (``aiosmtpd`` on 127.0.0.1): each notification is
mailed once however many workers race, with its link and without participant data;
a failed send is not recorded and is tried again."""

from __future__ import annotations

from email import message_from_bytes

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from matcher.jobs.mail import deliver_mail
from matcher.service import accounts, referrals
from matcher.service.errors import Invalid
from matcher.settings import get_settings
from matcher.store import tables as t
from tests.service.world import CM, NOW, ORG, TTL, hold, person, program, run, seed, together
from tests.smtp import Inbox, free_port


def _provider_with_address(engine: Engine) -> str:
    def make(s: Session) -> str:
        return accounts.create_account(
            s,
            username="harbor",
            role="provider",
            password=None,
            subject_id=ORG,
            now=NOW,
            email="intake@harbor.example.org",
        ).account_id

    return run(engine, make)


def _send_a_referral(engine: Engine) -> str:
    seed(engine, [program("a")], [person("p1")])
    _provider_with_address(engine)
    sent = hold(engine, "p1", "p1-0", "a")
    run(engine, lambda s: referrals.confirm(s, CM, sent.referral_id, NOW, TTL))
    return sent.referral_id


def test_racing_workers_mail_each_notification_once(
    engine: Engine, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    referral_id = _send_a_referral(engine)
    counts = together(lambda: deliver_mail(engine, lambda: NOW))
    assert sum(counts) == 1
    ((to, raw),) = inbox.received
    assert to == ["intake@harbor.example.org"]
    mail = message_from_bytes(raw)
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    (notice,) = run(engine, lambda s: s.exec(select(t.Notification)).all())
    assert notice.link.endswith(f"#referral-{referral_id}")
    assert f"https://matcher.example.org/web/inbox/{notice.id}" in body.split()  # opens it
    assert "p1" not in body  # not even the pseudonym
    assert "p1" not in str(mail["Subject"])
    deliveries = run(engine, lambda s: s.exec(select(t.Delivery)).all())
    assert [(d.kind, d.channel) for d in deliveries] == [("referral_sent", "email")]
    assert deliver_mail(engine, lambda: NOW) == 0  # already mailed


def test_a_failed_send_is_not_recorded_and_is_retried(
    engine: Engine, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    _send_a_referral(engine)
    monkeypatch.setenv("MATCHER_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody there
    get_settings.cache_clear()
    assert deliver_mail(engine, lambda: NOW) == 0
    assert run(engine, lambda s: s.exec(select(t.Delivery)).all()) == []
    monkeypatch.setenv("MATCHER_SMTP_URL", f"smtp://127.0.0.1:{port}")
    get_settings.cache_clear()
    assert deliver_mail(engine, lambda: NOW) == 1
    assert len(inbox.received) == 1


def test_without_smtp_nothing_is_mailed(engine: Engine) -> None:
    _send_a_referral(engine)
    assert deliver_mail(engine, lambda: NOW) == 0


def test_an_address_that_is_not_one_is_refused(engine: Engine) -> None:
    seed(engine, [program("a")], [])
    with pytest.raises(Invalid) as refused:
        run(
            engine,
            lambda s: accounts.create_account(
                s,
                username="x",
                role="funder",
                password=None,
                subject_id=None,
                now=NOW,
                email="not an address",
            ),
        )
    assert refused.value.field == "email"
