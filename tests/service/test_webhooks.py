"""Signed webhooks: a receiver on 127.0.0.1 verifies each signature with
``standardwebhooks``; each notification reaches each endpoint once however many
workers race; a failing endpoint gets the retries on the backoff schedule, then the
delivery is given up, the log shows every attempt and the admins are told, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from matcher.jobs.webhooks import backoff, deliver_webhooks
from matcher.service import accounts, notifications, referrals, webhooks
from matcher.service.errors import Invalid, NotFound
from matcher.settings import get_settings
from matcher.store import tables as t
from tests.service.receiver import Received, receiver
from tests.service.world import CM, NOW, ORG, TTL, hold, person, program, run, seed, together


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MATCHER_WEBHOOK_ATTEMPTS", "3")
    monkeypatch.setenv("MATCHER_WEBHOOK_RETRY_SECONDS", "60")
    monkeypatch.setenv("MATCHER_WEBHOOK_TIMEOUT", "5")
    monkeypatch.setenv("MATCHER_PUBLIC_URL", "https://matcher.example.org")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _accounts(s: Session) -> None:
    for name, role, subject in (("harbor-system", "provider", ORG), ("root", "admin", None)):
        accounts.create_account(
            s, username=name, role=role, password=None, subject_id=subject, now=NOW
        )


def _endpoint(engine: Engine, received: Received, url: str, at: datetime = NOW) -> str:
    made = run(
        engine,
        lambda s: webhooks.add(
            s, username="harbor-system", url=url, by="root", now=at, allow_http=False
        ),
    )
    received.secret = made.secret
    return made.endpoint.endpoint_id


def _send(engine: Engine, participant: str) -> str:
    sent = hold(engine, participant, f"{participant}-0", "a")
    run(engine, lambda s: referrals.confirm(s, CM, sent.referral_id, NOW, TTL))
    return sent.referral_id


def test_racing_workers_deliver_each_notification_once_signed(
    engine: Engine, settings: None
) -> None:
    seed(engine, [program("a")], [person("p1"), person("p2")])
    run(engine, _accounts)
    received = Received()
    with receiver(received) as url:
        _endpoint(engine, received, url)
        first, second = _send(engine, "p1"), _send(engine, "p2")
        counts = together(lambda: deliver_webhooks(engine, lambda: NOW))
        assert deliver_webhooks(engine, lambda: NOW + timedelta(days=1)) == 0
    assert sum(counts) == 2
    assert received.unverified == 0
    assert received.requests == 2
    bodies = sorted((p for _, p in received.verified), key=lambda p: p["data"]["pseudonym"])
    assert [b["data"] for b in bodies] == [
        {
            "kind": "referral_sent",
            "pseudonym": "p1",
            "link": f"https://matcher.example.org/web/provider#referral-{first}",
        },
        {
            "kind": "referral_sent",
            "pseudonym": "p2",
            "link": f"https://matcher.example.org/web/provider#referral-{second}",
        },
    ]
    assert {b["type"] for b in bodies} == {"notification.referral_sent"}
    assert {b["id"] for b in bodies} == set(received.ids())
    log = run(engine, lambda s: webhooks.log(s))
    assert sorted((a.username, a.kind, a.channel, a.attempt, a.status_code) for a in log) == [
        ("harbor-system", "referral_sent", "webhook", 1, 200),
        ("harbor-system", "referral_sent", "webhook", 1, 200),
    ]


def test_a_failing_endpoint_gets_the_retries_then_the_admins_are_told_once(
    engine: Engine, settings: None
) -> None:
    seed(engine, [program("a")], [person("p1"), person("p2")])
    run(engine, _accounts)
    received = Received(answers=[500] * 10)
    with receiver(received) as url:
        _endpoint(engine, received, url)
        _send(engine, "p1")
        _send(engine, "p2")
        now = NOW
        assert deliver_webhooks(engine, lambda: now) == 0
        assert received.requests == 2
        assert deliver_webhooks(engine, lambda: now) == 0  # not due again yet
        assert received.requests == 2
        for attempt in (1, 2):
            now += backoff(attempt, get_settings())
            assert deliver_webhooks(engine, lambda at=now: at) == 0  # type: ignore[misc]
            assert received.requests == 2 * (attempt + 1)
        now += timedelta(days=1)
        assert deliver_webhooks(engine, lambda: now) == 0  # given up: no fourth attempt
        assert received.requests == 6
    log = run(engine, lambda s: webhooks.log(s, status="failed"))
    assert sorted((a.attempt, a.status_code, a.outcome) for a in log) == [
        (1, 500, "retrying"),
        (1, 500, "retrying"),
        (2, 500, "retrying"),
        (2, 500, "retrying"),
        (3, 500, "gave_up"),
        (3, 500, "gave_up"),
    ]
    alerts = run(
        engine,
        lambda s: s.exec(
            select(t.Notification).where(t.Notification.kind == "delivery_failing")
        ).all(),
    )
    assert [(a.link, a.pseudonym) for a in alerts] == [("/web/admin/deliveries", None)]


def test_a_receiver_that_recovers_gets_the_notification_once(
    engine: Engine, settings: None
) -> None:
    seed(engine, [program("a")], [person("p1")])
    run(engine, _accounts)
    received = Received(answers=[503])
    with receiver(received) as url:
        _endpoint(engine, received, url)
        _send(engine, "p1")
        assert deliver_webhooks(engine, lambda: NOW) == 0
        later = NOW + backoff(1, get_settings())
        assert deliver_webhooks(engine, lambda: later) == 1
        assert deliver_webhooks(engine, lambda: later + timedelta(days=1)) == 0
    assert received.requests == 2
    assert len(received.verified) == 1
    assert len(received.seen) == 2
    assert len(set(received.seen)) == 1  # both attempts carry the same webhook-id
    log = run(engine, lambda s: webhooks.log(s))
    assert [(a.attempt, a.status_code, a.outcome, a.delivery_status) for a in log] == [
        (2, 200, "delivered", "delivered"),
        (1, 503, "retrying", "delivered"),
    ]


def test_only_notifications_after_registration_go_out_and_removal_stops_them(
    engine: Engine, settings: None
) -> None:
    seed(engine, [program("a")], [person("p1"), person("p2"), person("p3")])
    run(engine, _accounts)
    received = Received()
    with receiver(received) as url:
        _send(engine, "p1")  # before the endpoint exists
        endpoint = _endpoint(engine, received, url, at=NOW + timedelta(seconds=1))
        deliver_webhooks(engine, lambda: NOW + timedelta(seconds=1))
        assert received.requests == 0
        run(engine, lambda s: webhooks.remove(s, endpoint, NOW))
        _send(engine, "p2")
        deliver_webhooks(engine, lambda: NOW + timedelta(seconds=2))
        assert received.requests == 0
    listed = run(engine, webhooks.listing)
    assert [(e.username, e.removed_at is not None) for e in listed] == [("harbor-system", True)]
    stored = run(engine, lambda s: s.exec(select(t.WebhookEndpoint)).one())
    assert stored.secret == received.secret  # decrypted by the data keys
    assert received.secret.startswith("whsec_")


def test_the_secret_is_stored_encrypted(engine: Engine) -> None:
    seed(engine, [program("a")], [])
    run(engine, _accounts)
    made = run(
        engine,
        lambda s: webhooks.add(
            s,
            username="harbor-system",
            url="https://hooks.example.org/x",
            by="root",
            now=NOW,
            allow_http=False,
        ),
    )
    with engine.connect() as c:
        raw = c.exec_driver_sql("SELECT secret FROM webhook_endpoint").scalar_one()
    assert made.secret.removeprefix("whsec_") not in raw


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("ftp://hooks.example.org/x", "url"),
        ("http://hooks.example.org/x", "https_required"),
        ("https://user:pw@hooks.example.org/x", "url"),
        ("https:///x", "url"),
        ("http://[::1", "url"),
        ("https://hooks.example.org:99999/x", "url"),
        ("https://hooks.example.org:port/x", "url"),
    ],
    ids=[
        "not-http",
        "plain-http",
        "credentials",
        "no-host",
        "broken-ipv6",
        "port-range",
        "port-word",
    ],
)
def test_an_endpoint_address_that_is_not_one_is_refused(url: str, rule: str) -> None:
    with pytest.raises(Invalid) as refused:
        webhooks.check_url(url, allow_http=False)
    assert (refused.value.rule, refused.value.field) == (rule, "url")


def test_loopback_may_use_plain_http() -> None:
    assert webhooks.check_url("http://127.0.0.1:9/x", allow_http=False)


def test_webhooks_are_for_provider_accounts(engine: Engine) -> None:
    seed(engine, [program("a")], [])
    run(engine, _accounts)
    with pytest.raises(Invalid):
        run(
            engine,
            lambda s: webhooks.add(
                s, username="root", url="https://x.example.org", by="r", now=NOW, allow_http=True
            ),
        )
    with pytest.raises(NotFound):
        run(
            engine,
            lambda s: webhooks.add(
                s, username="nobody", url="https://x.example.org", by="r", now=NOW, allow_http=True
            ),
        )


def test_a_kind_the_account_turned_off_is_not_posted_and_daily_still_is(
    engine: Engine, settings: None
) -> None:
    seed(engine, [program("a")], [person("p1"), person("p2")])
    run(engine, _accounts)
    system = run(
        engine,
        lambda s: s.exec(select(t.Account).where(t.Account.username == "harbor-system")).one(),
    )
    off = notifications.Mode.OFF
    kind = notifications.Kind.REFERRAL_SENT
    received = Received()
    with receiver(received) as url:
        _endpoint(engine, received, url)
        run(engine, lambda s: notifications.set_preference(s, system.id, kind, off))
        _send(engine, "p1")
        assert deliver_webhooks(engine, lambda: NOW) == 0
        daily = notifications.Mode.DAILY  # a digest is for e-mail: systems get each one
        run(engine, lambda s: notifications.set_preference(s, system.id, kind, daily))
        _send(engine, "p2")
        assert deliver_webhooks(engine, lambda: NOW) == 1
    assert received.requests == 1
    rows = run(engine, lambda s: s.exec(select(t.WebhookDelivery)).all())
    assert sorted(d.status for d in rows) == ["delivered", "skipped"]  # recorded, not sent
