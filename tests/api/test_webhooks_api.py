"""Admins register providers' webhook endpoints over the API (the secret in that one
answer only), read the delivery log, and see a failing endpoint's given-up delivery
on the log and their page, with one alert in their inbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select
from standardwebhooks.webhooks import Webhook

from api.app import create_app
from matcher.jobs.webhooks import deliver_webhooks
from matcher.service import accounts, notifications, webhooks
from matcher.service.notifications import Kind, Notice
from matcher.settings import get_settings
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import SETTINGS, START, Clock, bearer
from tests.service.receiver import Received, receiver
from tests.web.conftest import sign_in

PROVIDER = "provider:org-harbor"  # the account ``bearer`` makes for org-harbor


@pytest.fixture
def one_attempt(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MATCHER_WEBHOOK_ATTEMPTS", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _notify_provider(engine: Engine) -> None:
    with session_scope(engine) as s:
        account = s.exec(select(t.Account).where(t.Account.username == PROVIDER)).one()
        notice = Notice(Kind.REFERRAL_SENT, "referral:r-9:referred", "/web/provider#referral-r-9")
        notifications.notify(s, [account.id], notice, START)


def test_admin_registers_an_endpoint_and_reads_the_failure(
    anonymous: TestClient, app_engine: Engine, clock: Clock, one_attempt: None
) -> None:
    admin = bearer(app_engine, "admin")
    bearer(app_engine, "provider", "org-harbor")
    received = Received(answers=[500])
    with receiver(received) as url:
        made = anonymous.post(
            "/admin/webhooks", json={"username": PROVIDER, "url": url}, headers=admin
        )
        assert made.status_code == 201, made.json()
        secret = made.json()["secret"]
        assert secret.startswith("whsec_")
        Webhook(secret)  # a secret the library takes
        received.secret = secret
        listed = anonymous.get("/admin/webhooks", headers=admin).json()
        assert [e["username"] for e in listed] == [PROVIDER]
        assert "secret" not in listed[0]
        _notify_provider(app_engine)
        assert deliver_webhooks(app_engine, clock) == 0
    assert received.requests == 1
    assert received.unverified == 0
    failed = anonymous.get("/admin/webhook-deliveries?status=failed", headers=admin)
    assert failed.status_code == 200
    ((row,),) = [failed.json()]
    assert (row["username"], row["kind"], row["channel"], row["attempt"]) == (
        PROVIDER,
        "referral_sent",
        "webhook",
        1,
    )
    assert (row["status_code"], row["outcome"], row["delivery_status"]) == (
        500,
        "gave_up",
        "failed",
    )
    assert set(row) == {
        "at",
        "username",
        "kind",
        "channel",
        "endpoint_id",
        "delivery_id",
        "attempt",
        "status_code",
        "outcome",
        "delivery_status",
    }  # never contents
    inbox = anonymous.get("/me/notifications", headers=admin).json()
    assert [n["kind"] for n in inbox["items"]] == ["delivery_failing"]
    gone = anonymous.delete(f"/admin/webhooks/{row['endpoint_id']}", headers=admin)
    assert gone.status_code == 204
    assert anonymous.get("/admin/webhooks", headers=admin).json()[0]["removed_at"] is not None


def test_only_admins_manage_webhooks(anonymous: TestClient, app_engine: Engine) -> None:
    provider = bearer(app_engine, "provider", "org-harbor")
    assert anonymous.get("/admin/webhooks", headers=provider).status_code == 403
    assert anonymous.get("/admin/webhook-deliveries", headers=provider).status_code == 403
    assert anonymous.get("/admin/webhooks").status_code == 401


def test_a_bad_endpoint_is_refused_naming_the_field(
    anonymous: TestClient, app_engine: Engine
) -> None:
    admin = bearer(app_engine, "admin")
    bearer(app_engine, "provider", "org-harbor")
    refused = anonymous.post(
        "/admin/webhooks", json={"username": PROVIDER, "url": "ftp://x.example.org"}, headers=admin
    )
    assert (refused.status_code, refused.json()["field"]) == (422, "url")
    unknown = anonymous.post(
        "/admin/webhooks",
        json={"username": "nobody", "url": "https://x.example.org"},
        headers=admin,
    )
    assert (unknown.status_code, unknown.json()["field"]) == (404, "username")
    assert anonymous.get("/admin/webhooks", headers=admin).json() == []


def test_the_admin_page_shows_the_given_up_delivery(
    app_engine: Engine, clock: Clock, one_attempt: None
) -> None:
    with session_scope(app_engine) as s:
        accounts.create_account(
            s,
            username="root",
            role="admin",
            password="a long admin password",
            subject_id=None,
            now=START,
        )
    bearer(app_engine, "provider", "org-harbor")
    received = Received(answers=[502])
    with receiver(received) as url:
        with session_scope(app_engine) as s:
            received.secret = webhooks.add(
                s, username=PROVIDER, url=url, by="root", now=START, allow_http=False
            ).secret
        _notify_provider(app_engine)
        deliver_webhooks(app_engine, clock)
    app = create_app(SETTINGS, engine=app_engine, clock=clock)
    with TestClient(app, raise_server_exceptions=False, base_url="https://testserver") as pages:
        landing = sign_in(pages, "root", "a long admin password")
        assert "Webhook deliveries" in landing
        failed = pages.get("/web/admin/deliveries?failed=true")
    assert failed.status_code == 200
    assert 'data-outcome="gave_up"' in failed.text
    assert "502" in failed.text
    assert "r-9" not in failed.text  # the log names no referral, no link, no body
