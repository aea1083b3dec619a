"""Notifications: written with the change that causes them, each thing announced to
each account once, carrying a kind, a pseudonym at most and a link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from matcher.service import accounts, intake, notifications, referrals
from matcher.service.errors import NotFound
from matcher.service.notifications import Kind, Mode
from matcher.store import tables as t
from tests.service.world import CM, NOW, ORG, TTL, hold, person, program, race, run, seed


def _accounts(engine: Engine) -> tuple[str, str, str]:
    """A provider account of ``ORG``, another provider's, and ``CM``'s account."""

    def make(s: Session) -> tuple[str, str, str]:
        s.add(t.Organization(id="org-2", name="Elsewhere"))
        made = [
            accounts.create_account(
                s, username=name, role=role, password=None, subject_id=subject, now=NOW
            ).account_id
            for name, role, subject in (
                ("harbor", "provider", ORG),
                ("other", "provider", "org-2"),
                ("ana", "case_manager", CM),
            )
        ]
        return made[0], made[1], made[2]

    return run(engine, make)


def _rows(engine: Engine, account_id: str) -> list[tuple[str, str | None, str]]:
    def read(s: Session) -> list[tuple[str, str | None, str]]:
        rows = s.exec(select(t.Notification).where(t.Notification.account_id == account_id))
        return sorted((n.kind, n.pseudonym, n.link) for n in rows)

    return run(engine, read)


def test_sending_answering_and_withdrawing_tell_whom_it_concerns(engine: Engine) -> None:
    seed(engine, [program("a")], [person("p1"), person("p2")])
    provider, other, manager = _accounts(engine)
    first = hold(engine, "p1", "p1-0", "a")
    assert _rows(engine, provider) == []  # a hold is not sent: the provider is not told
    run(engine, lambda s: referrals.confirm(s, CM, first.referral_id, NOW, TTL))
    sent = ("referral_sent", "p1", f"/web/provider#referral-{first.referral_id}")
    assert _rows(engine, provider) == [sent]
    run(engine, lambda s: referrals.enrol(s, ORG, first.referral_id, "harbor", NOW))
    assert _rows(engine, manager) == [
        ("referral_answered", "p1", "/web/case-manager/participants/p1")
    ]
    second = hold(engine, "p2", "p2-0", "a")
    run(engine, lambda s: referrals.confirm(s, CM, second.referral_id, NOW, TTL))
    run(engine, lambda s: referrals.withdraw(s, CM, second.referral_id, NOW))
    kinds = [kind for kind, _, _ in _rows(engine, provider)]
    assert sorted(kinds) == ["referral_sent", "referral_sent", "referral_withdrawn"]
    assert _rows(engine, other) == []  # another organisation hears nothing


def test_racing_warnings_announce_each_expiry_once(engine: Engine) -> None:
    seed(engine, [program("a")], [person("p1"), person("p2")])
    _, _, manager = _accounts(engine)
    hold(engine, "p1", "p1-0", "a")
    hold(engine, "p2", "p2-0", "a")
    soon = NOW + TTL - timedelta(hours=2)
    counts = race(
        [
            lambda: run(engine, lambda s: notifications.warn_expiring(s, soon, timedelta(hours=24)))
            for _ in range(3)
        ]
    )
    assert counts == ["ok"] * 3
    assert [k for k, _, _ in _rows(engine, manager)] == ["referral_expiring"] * 2
    again = run(engine, lambda s: notifications.warn_expiring(s, soon, timedelta(hours=24)))
    assert again == 0


def test_a_stale_report_is_announced_once_per_report(engine: Engine) -> None:
    seed(engine, [program("a"), program("b")], [])
    provider, _, _ = _accounts(engine)

    def patient(s: Session) -> None:
        b = s.get(t.Program, "b")
        assert b is not None
        b.stale_after_days = 30
        s.add(b)

    run(engine, patient)
    later = NOW + timedelta(days=8)
    assert run(engine, lambda s: notifications.warn_stale(s, later, 7)) >= 1
    assert run(engine, lambda s: notifications.warn_stale(s, later, 7)) == 0
    rows = _rows(engine, provider)
    assert rows == [("capacity_stale", None, "/web/provider")]  # "a" only: "b" waits 30 days


def test_the_inbox_is_the_accounts_own(engine: Engine) -> None:
    seed(engine, [program("a")], [person("p1")])
    provider, other, _ = _accounts(engine)
    sent = hold(engine, "p1", "p1-0", "a")
    run(engine, lambda s: referrals.confirm(s, CM, sent.referral_id, NOW, TTL))
    box = run(engine, lambda s: notifications.inbox(s, provider))
    assert box.unread == 1
    (item,) = box.items
    assert item.id is not None
    item_id = item.id
    with pytest.raises(NotFound):
        run(engine, lambda s: notifications.mark_read(s, other, item_id, NOW))
    run(engine, lambda s: notifications.mark_read(s, provider, item_id, NOW))
    run(engine, lambda s: notifications.mark_read(s, provider, item_id, NOW))  # again: no change
    assert run(engine, lambda s: notifications.unread(s, provider)) == 0


def test_preferences_default_to_immediately_and_are_kept(engine: Engine) -> None:
    seed(engine, [program("a")], [])
    provider, _, _ = _accounts(engine)
    run(engine, lambda s: notifications.set_preference(s, provider, Kind.CAPACITY_STALE, Mode.OFF))
    chosen = run(engine, lambda s: notifications.preferences(s, provider))
    assert chosen[Kind.CAPACITY_STALE] is Mode.OFF
    assert chosen[Kind.REFERRAL_SENT] is Mode.IMMEDIATELY


def test_a_sent_referral_that_expires_unanswered_is_announced_to_the_provider(
    engine: Engine,
) -> None:
    seed(engine, [program("a")], [person("p1")])
    provider, other, _ = _accounts(engine)
    sent = hold(engine, "p1", "p1-0", "a")
    run(engine, lambda s: referrals.confirm(s, CM, sent.referral_id, NOW, TTL))
    assert run(engine, lambda s: referrals.expire_due(s, NOW + 30 * TTL)) == 1
    expired = ("referral_expired", "p1", f"/web/provider#referral-{sent.referral_id}")
    assert expired in _rows(engine, provider)
    assert _rows(engine, other) == []


def test_an_intake_is_announced_to_every_case_manager_once(engine: Engine) -> None:
    seed(engine, [program("a")], [])
    _, _, manager = _accounts(engine)

    def make(s: Session) -> tuple[str, str]:
        second = accounts.create_account(
            s, username="bo", role="case_manager", password=None, subject_id="cm-2", now=NOW
        ).account_id
        referrer = accounts.create_account(
            s, username="officer", role="referrer", password=None, subject_id=None, now=NOW
        ).account_id
        return second, referrer

    second, referrer = run(engine, make)
    for _ in range(2):  # sent twice: one intake, announced once
        run(engine, lambda s: intake.submit(s, referrer, "case-77", "met at the park", NOW))
    waiting = ("intake_waiting", None, "/web/case-manager#intakes-h")
    assert _rows(engine, manager) == [waiting]
    assert _rows(engine, second) == [waiting]
    assert _rows(engine, referrer) == []
