"""Webhook delivery: each notification to a provider account with an endpoint is
POSTed there as JSON, signed by the Standard Webhooks scheme (``standardwebhooks``).

Every notification to the endpoint's account since the endpoint was made becomes one
``webhook_delivery`` row (unique per notification and endpoint). An attempt claims
its row with a conditional update that counts the attempt and moves the next one on
by the backoff (``MATCHER_WEBHOOK_RETRY_SECONDS``, doubling each time), commits, and
only then sends: two workers never send the same attempt, and a worker that dies
mid-send leaves the row due again when the backoff has passed. Each attempt is
logged (attempt, time, HTTP status, outcome, never the body); a 2xx answer marks the
delivery done, once (a partial unique index allows one successful attempt per
delivery). After ``MATCHER_WEBHOOK_ATTEMPTS`` failures it is given up and the admins
are told. Redirects are not followed: an endpoint that moved must be registered anew.

The body carries the kind, at most a pseudonym and the link: ``{"type", "id",
"timestamp", "data": {"kind", "pseudonym"?, "link"}}``. ``webhook-id`` stays the
same across a delivery's attempts, so a receiver that saw it already can ignore it.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, exists, update
from sqlmodel import col, select
from standardwebhooks.webhooks import Webhook

from matcher.service import notifications
from matcher.settings import Settings, get_settings
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.once import insert_once

log = logging.getLogger(__name__)
MOST_PER_ROUND = 1000
USER_AGENT = "lead-matcher-webhooks/1"


def backoff(attempt: int, settings: Settings) -> timedelta:
    """How long after attempt ``attempt`` (1, 2, ...) the next may start: the retry
    wait doubled per attempt, never shorter than twice the answer timeout (so an
    attempt still waiting for its answer is never overtaken by the next)."""
    wait = settings.webhook_retry_seconds * 2 ** (attempt - 1)
    return timedelta(seconds=max(wait, 2 * settings.webhook_timeout))


def enqueue(engine: Engine, now: datetime) -> int:
    """Make the delivery rows of notifications not yet given to their account's
    endpoints (only those made since the endpoint was); how many are new. A kind the
    account has turned ``off`` is recorded as ``skipped`` and never sent, even if it is
    turned on again later; ``daily`` is about e-mail, a system gets each as it comes."""
    with session_scope(engine) as session:
        known = exists().where(
            col(t.WebhookDelivery.notification_id) == col(t.Notification.id),
            col(t.WebhookDelivery.endpoint_id) == col(t.WebhookEndpoint.id),
        )
        off = {
            (p.account_id, p.kind)
            for p in session.exec(
                select(t.NotificationPreference).where(
                    col(t.NotificationPreference.mode) == notifications.Mode.OFF.value
                )
            )
        }
        pairs = session.exec(
            select(t.Notification, t.WebhookEndpoint.id)
            .join(
                t.WebhookEndpoint,
                col(t.WebhookEndpoint.account_id) == col(t.Notification.account_id),
            )
            .where(
                col(t.WebhookEndpoint.removed_at).is_(None),
                col(t.Notification.created_at) >= col(t.WebhookEndpoint.created_at),
                ~known,
            )
            .order_by(col(t.Notification.id))
            .limit(MOST_PER_ROUND * 5)
        ).all()
        rows = [
            {
                "notification_id": n.id,
                "endpoint_id": endpoint_id,
                "account_id": n.account_id,
                "kind": n.kind,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                **(
                    {"status": "skipped", "finished_at": now}
                    if (n.account_id, n.kind) in off
                    else {"status": "pending", "finished_at": None}
                ),
            }
            for n, endpoint_id in pairs
        ]
        return insert_once(session, t.WebhookDelivery, rows, ["notification_id", "endpoint_id"])


def due(engine: Engine, now: datetime, most: int = MOST_PER_ROUND) -> list[int]:
    """Deliveries whose next attempt may start now, to endpoints still in use."""
    with session_scope(engine, read_only=True) as session:
        rows = session.exec(
            select(t.WebhookDelivery.id)
            .join(
                t.WebhookEndpoint, col(t.WebhookEndpoint.id) == col(t.WebhookDelivery.endpoint_id)
            )
            .where(
                t.WebhookDelivery.status == "pending",
                col(t.WebhookDelivery.next_attempt_at) <= now,
                col(t.WebhookEndpoint.removed_at).is_(None),
            )
            .order_by(col(t.WebhookDelivery.next_attempt_at), col(t.WebhookDelivery.id))
            .limit(most)
        ).all()
        return [int(i) for i in rows if i is not None]


def deliver_webhooks(engine: Engine, clock: Callable[[], datetime]) -> int:
    """The periodic job (in-process runner): make the new deliveries, then attempt
    every due one; how many were delivered."""
    enqueue(engine, clock())
    return sum(attempt(engine, i, clock) == "delivered" for i in due(engine, clock()))


def attempt(
    engine: Engine,
    delivery_id: int,
    clock: Callable[[], datetime],
    wall: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> str | None:
    """One attempt at a delivery if it is due and nobody else claimed it: the outcome
    logged (``delivered``, ``retrying``, ``gave_up``), or None when there was nothing
    to do. The signature's timestamp is the ``wall`` clock's (receivers check it
    against theirs); the schedule follows ``clock``."""
    settings = get_settings()
    now = clock()
    claimed = _claim(engine, delivery_id, now, settings)
    if claimed is None:
        return None
    number, url, secret, message_id, body = claimed
    code = post(url, secret, message_id, body, wall(), settings.webhook_timeout)
    return _record(engine, delivery_id, number, code, now, settings)


Claim = tuple[int, str, str, str, str]
"""An attempt's number, the endpoint's URL and secret, the message id and the body."""


def _claim(engine: Engine, delivery_id: int, now: datetime, settings: Settings) -> Claim | None:
    """Count the attempt and move the next one on by the backoff, committed before
    anything is sent; None when the delivery is not due or another worker has it."""
    with session_scope(engine) as session:
        row = session.exec(
            select(t.WebhookDelivery, t.WebhookEndpoint, t.Notification)
            .join(
                t.WebhookEndpoint, col(t.WebhookEndpoint.id) == col(t.WebhookDelivery.endpoint_id)
            )
            .join(t.Notification, col(t.Notification.id) == col(t.WebhookDelivery.notification_id))
            .where(col(t.WebhookDelivery.id) == delivery_id)
        ).first()
        if row is None:
            return None
        found, endpoint, notification = row
        if found.status != "pending" or found.next_attempt_at > now or endpoint.removed_at:
            return None
        number = found.attempts + 1
        taken = session.connection().execute(
            update(t.WebhookDelivery)
            .where(
                col(t.WebhookDelivery.id) == delivery_id,
                col(t.WebhookDelivery.status) == "pending",
                col(t.WebhookDelivery.attempts) == found.attempts,
            )
            .values(attempts=number, next_attempt_at=now + backoff(number, settings))
        )
        if taken.rowcount != 1:
            return None
        message_id = f"msg_{notification.id}_{endpoint.id}"
        return number, endpoint.url, endpoint.secret, message_id, body(notification, message_id)


def body(notification: t.Notification, message_id: str) -> str:
    """The JSON sent: the kind, at most the pseudonym, and the link into the pages."""
    data: dict[str, Any] = {
        "kind": notification.kind,
        "link": get_settings().public_url.rstrip("/") + notification.link,
    }
    if notification.pseudonym is not None:
        data["pseudonym"] = notification.pseudonym
    return json.dumps(
        {
            "type": f"notification.{notification.kind}",
            "id": message_id,
            "timestamp": notification.created_at.isoformat(),
            "data": data,
        },
        separators=(",", ":"),
    )


def _record(
    engine: Engine, delivery_id: int, number: int, code: int | None, now: datetime, s: Settings
) -> str:
    """Log the attempt and move the delivery on: done, given up (the admins told), or
    left for the next attempt the claim already scheduled."""
    with session_scope(engine) as session:
        if code is not None and 200 <= code < 300:
            outcome = _finish(session, delivery_id, "delivered", now)
        elif number >= s.webhook_attempts:
            outcome = _finish(session, delivery_id, "failed", now)
            given_up = session.get(t.WebhookDelivery, delivery_id)
            if outcome == "gave_up" and given_up is not None:
                notifications.delivery_failing(session, given_up.endpoint_id, now)
        else:
            outcome = "retrying"
        session.add(
            t.WebhookAttempt(
                delivery_id=delivery_id, attempt=number, at=now, status_code=code, outcome=outcome
            )
        )
    if outcome != "delivered":
        log.warning("webhook delivery %d attempt %d: %s (%s)", delivery_id, number, outcome, code)
    return outcome


def _finish(session: Any, delivery_id: int, status: str, now: datetime) -> str:
    """Close a pending delivery; the outcome to log (``repeated`` when an earlier
    attempt closed it meanwhile)."""
    closed = session.connection().execute(
        update(t.WebhookDelivery)
        .where(col(t.WebhookDelivery.id) == delivery_id, col(t.WebhookDelivery.status) == "pending")
        .values(status=status, finished_at=now)
    )
    if closed.rowcount != 1:
        return "repeated"
    return "delivered" if status == "delivered" else "gave_up"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers like any other non-2xx status: not followed."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(
    url: str, secret: str, message_id: str, payload: str, at: datetime, timeout: float
) -> int | None:
    """POST ``payload`` signed with ``secret`` at time ``at``; the HTTP status, or None
    when no answer came (refused, timed out, not HTTP)."""
    signature = Webhook(secret).sign(message_id, at, payload)
    request = urllib.request.Request(
        url,
        data=payload.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError) as error:
        log.warning("webhook delivery: no answer (%s)", type(error).__name__)
        return None
