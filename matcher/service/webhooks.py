"""Webhook endpoints for providers' systems, and the log of their deliveries.

An admin registers an endpoint for a provider account: a URL and a fresh signing
secret (Standard Webhooks' ``whsec_`` form), shown once and kept encrypted with the
data keys (signing needs it in clear, so a hash will not do). From then on every
notification to that account is POSTed there, signed (``matcher.jobs.webhooks``).
The delivery log says who, which kind, when, which channel, the attempt and the HTTP
status; never what was sent.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from matcher.service.errors import Invalid, NotFound
from matcher.store import tables as t

SECRET_PREFIX = "whsec_"
CHANNEL = "webhook"
LOG_LIMIT = 500


@dataclass(frozen=True, slots=True)
class EndpointView:
    """An endpoint as an admin sees it (never its secret)."""

    endpoint_id: str
    username: str
    url: str
    created_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    """A new endpoint and its secret, shown this once."""

    endpoint: EndpointView
    secret: str


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, base64, with the ``whsec_`` prefix."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url: str, *, allow_http: bool) -> str:
    """The URL, if an endpoint may have it: ``https`` with a host (``http`` too when
    ``allow_http``, or to this machine's loopback), no credentials in it."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (a port out of range or not a number raises here)
    except ValueError:
        raise Invalid(
            "url", "an endpoint is an https:// address with a host", field="url"
        ) from None
    loopback = False
    try:
        loopback = parts.hostname is not None and ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        loopback = parts.hostname == "localhost"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid("url", "an endpoint is an https:// address with a host", field="url")
    if parts.scheme == "http" and not (allow_http or loopback):
        raise Invalid("https_required", "an endpoint must use https://", field="url")
    if parts.username or parts.password:
        raise Invalid("url", "an endpoint address may not carry credentials", field="url")
    if len(url.strip()) > 2000:
        raise Invalid("url", "an endpoint address is at most 2000 characters", field="url")
    return url.strip()


def add(
    session: Session, *, username: str, url: str, by: str, now: datetime, allow_http: bool
) -> NewEndpoint:
    """Register an endpoint for a provider account; its secret is in the answer only."""
    account = session.exec(select(t.Account).where(t.Account.username == username)).first()
    if account is None:
        raise NotFound(f"no account {username}", field="username")
    if account.role != "provider":
        raise Invalid("role", "webhooks are for provider systems only", field="username")
    secret = new_secret()
    row = t.WebhookEndpoint(
        id=secrets.token_hex(8),
        account_id=account.id,
        url=check_url(url, allow_http=allow_http),
        secret=secret,
        created_at=now,
        created_by=by,
    )
    session.add(row)
    session.flush()
    return NewEndpoint(_view(row, account.username), secret)


def remove(session: Session, endpoint_id: str, now: datetime) -> None:
    """Stop sending to an endpoint (again: no change). Deliveries not yet made to it
    are not made; it stays listed, with its log."""
    row = session.get(t.WebhookEndpoint, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", field="endpoint_id")
    if row.removed_at is None:
        row.removed_at = now
        session.add(row)


def listing(session: Session) -> list[EndpointView]:
    """Every endpoint, oldest first, removed ones too."""
    rows = session.exec(
        select(t.WebhookEndpoint, t.Account.username)
        .join(t.Account, col(t.Account.id) == col(t.WebhookEndpoint.account_id))
        .order_by(col(t.WebhookEndpoint.created_at), col(t.WebhookEndpoint.id))
    ).all()
    return [_view(row, username) for row, username in rows]


def _view(row: t.WebhookEndpoint, username: str) -> EndpointView:
    return EndpointView(row.id, username, row.url, row.created_at, row.removed_at)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One line of the delivery log: who, which kind, when, which channel and endpoint,
    which attempt, the HTTP status (None: no answer), how it ended, and the state of
    the delivery it belongs to."""

    at: datetime
    username: str
    kind: str
    channel: str
    endpoint_id: str
    delivery_id: int
    attempt: int
    status_code: int | None
    outcome: str
    delivery_status: str


def log(
    session: Session, *, status: str | None = None, limit: int = LOG_LIMIT, offset: int = 0
) -> list[Attempt]:
    """The delivery log, newest first; ``status`` keeps the attempts of deliveries in
    that state (``failed``: the ones an admin should look at)."""
    query = (
        select(t.WebhookAttempt, t.WebhookDelivery, t.Account.username)
        .join(t.WebhookDelivery, col(t.WebhookDelivery.id) == col(t.WebhookAttempt.delivery_id))
        .join(t.Account, col(t.Account.id) == col(t.WebhookDelivery.account_id))
        .order_by(col(t.WebhookAttempt.at).desc(), col(t.WebhookAttempt.id).desc())
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        if status not in t.WEBHOOK_STATUSES:
            raise Invalid("status", f"status is one of {', '.join(t.WEBHOOK_STATUSES)}")
        query = query.where(t.WebhookDelivery.status == status)
    return [
        Attempt(
            at=a.at,
            username=username,
            kind=d.kind,
            channel=CHANNEL,
            endpoint_id=d.endpoint_id,
            delivery_id=a.delivery_id,
            attempt=a.attempt,
            status_code=a.status_code,
            outcome=a.outcome,
            delivery_status=d.status,
        )
        for a, d, username in session.exec(query).all()
    ]
