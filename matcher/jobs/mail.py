"""E-mail delivery: notifications mailed to accounts that carry an address and want
that kind ``immediately``, over SMTP (``MATCHER_SMTP_URL``; unset, nothing is mailed).

A notification is claimed for the ``email`` channel (a ``delivery`` row, unique per
notification and channel, committed) before it is sent, so two workers never both
mail it; if sending fails the claim is removed in a new transaction and the next run
tries again. The delivery row is the record: who, which kind, when, which channel.
The e-mail says the kind and links to the notice in the inbox, which opens its page
after sign-in; no participant data, not even the pseudonym, leaves in it (a case
manager's page address would carry one).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, delete
from sqlmodel import col, select

from matcher.service.notifications import LABELS, Kind, Mode, inbox_link, preferences
from matcher.settings import Settings, get_settings
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.once import insert_once

log = logging.getLogger(__name__)
CHANNEL = "email"


def deliver_mail(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Mail every notification not yet mailed whose account wants it now; how many."""
    settings = get_settings()
    if settings.smtp_url is None:
        return 0
    sent = 0
    for notification_id, address in _due(engine):
        if not _claim(engine, notification_id, clock()):
            continue  # another worker has it
        try:
            send(settings, address, _message(settings, engine, notification_id, address))
        except (OSError, smtplib.SMTPException) as error:
            log.error("mail delivery failed: %s", type(error).__name__)
            with session_scope(engine) as session:
                session.execute(
                    delete(t.Delivery).where(
                        col(t.Delivery.notification_id) == notification_id,
                        col(t.Delivery.channel) == CHANNEL,
                    )
                )
            continue
        sent += 1
    return sent


def _due(engine: Engine) -> list[tuple[int, str]]:
    """(notification, address) pairs not yet mailed, whose account wants them now."""
    with session_scope(engine) as session:
        mailed = select(t.Delivery.notification_id).where(t.Delivery.channel == CHANNEL)
        rows = session.exec(
            select(t.Notification, t.Account)
            .join(t.Account, col(t.Account.id) == col(t.Notification.account_id))
            .where(
                col(t.Account.email).is_not(None),
                col(t.Account.active),
                col(t.Notification.id).not_in(mailed),
            )
            .order_by(col(t.Notification.id))
        ).all()
        wanted: dict[str, dict[Kind, Mode]] = {}
        due = []
        for notification, account in rows:
            modes = wanted.setdefault(account.id, preferences(session, account.id))
            if modes.get(Kind(notification.kind)) is Mode.IMMEDIATELY and notification.id:
                due.append((notification.id, str(account.email)))
        return due


def _claim(engine: Engine, notification_id: int, now: datetime) -> bool:
    """Record the delivery before sending; False when another worker recorded it."""
    with session_scope(engine) as session:
        notification = session.get(t.Notification, notification_id)
        assert notification is not None
        row = {
            "notification_id": notification_id,
            "account_id": notification.account_id,
            "kind": notification.kind,
            "channel": CHANNEL,
            "at": now,
        }
        return insert_once(session, t.Delivery, [row], ["notification_id", "channel"]) == 1


def _message(
    settings: Settings, engine: Engine, notification_id: int, address: str
) -> EmailMessage:
    """The e-mail: the kind in words and the link; nothing about the participant."""
    with session_scope(engine) as session:
        notification = session.get(t.Notification, notification_id)
        assert notification is not None
        label = LABELS[Kind(notification.kind)]
        link = settings.public_url.rstrip("/") + inbox_link(notification_id)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = address
    message["Subject"] = f"LEAD matcher: {label}"
    message.set_content(f"{label}.\n\nOpen it (sign-in required):\n{link}\n")
    return message


def send(settings: Settings, address: str, message: EmailMessage) -> None:
    """Send over ``MATCHER_SMTP_URL``: smtps:// is TLS from the start; smtp:// uses
    STARTTLS when the server offers it; credentials when the URL carries them."""
    assert settings.smtp_url is not None
    url = urlsplit(settings.smtp_url.get_secret_value())
    host = url.hostname or "localhost"
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, url.port or 465, timeout=30)
    else:
        client = smtplib.SMTP(host, url.port or 587, timeout=30)
    with client:
        if url.scheme != "smtps":
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls()
                client.ehlo()
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message, to_addrs=[address])
