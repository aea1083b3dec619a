"""The daily digest: one e-mail a day to each account that chose ``daily`` for some
kinds, listing its unread notices of those kinds not in a digest before (their kinds
and links only: no pseudonym, no participant data).

The account's ``digest`` row for the day (its primary key: account and UTC day) and
a ``digest`` delivery row per listed notice are written in one transaction before
the e-mail is sent, so two workers, or a job run again, send one digest a day and
list each notice once; if sending fails, the rows are removed again and the next run
tries anew.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import Engine, and_, delete, exists
from sqlmodel import col, select

from matcher.jobs.mail import send
from matcher.service.notifications import LABELS, Kind, Mode, inbox_link
from matcher.settings import Settings, get_settings
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.once import insert_once

log = logging.getLogger(__name__)
CHANNEL = "digest"

Notices = list[tuple[int, str]]
"""A digest's notices: (notification id, kind); each links to its inbox entry."""


def send_digests(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Send today's digest to every account that has one due; how many were sent."""
    settings = get_settings()
    if settings.smtp_url is None:
        return 0
    now = clock()
    day = now.date().isoformat()
    sent = 0
    for (account_id, address), notices in _due(engine, day).items():
        if not _claim(engine, account_id, day, now, notices):
            continue  # another worker sent it, or today's was sent already
        try:
            send(settings, address, message(settings, address, day, notices))
        except (OSError, smtplib.SMTPException) as error:
            log.error("digest delivery failed: %s", type(error).__name__)
            _unclaim(engine, account_id, day, notices)
            continue
        sent += 1
    return sent


def _due(engine: Engine, day: str) -> dict[tuple[str, str], Notices]:
    """Per (account, address): the unread notices of its daily kinds in no digest yet,
    for accounts with no digest on ``day``."""
    with session_scope(engine, read_only=True) as session:
        in_digest = select(t.Delivery.notification_id).where(t.Delivery.channel == CHANNEL)
        sent_today = exists().where(
            col(t.Digest.account_id) == col(t.Account.id), col(t.Digest.day) == day
        )
        rows = session.exec(
            select(t.Notification.id, t.Notification.kind, t.Account)
            .join(t.Account, col(t.Account.id) == col(t.Notification.account_id))
            .join(
                t.NotificationPreference,
                and_(
                    col(t.NotificationPreference.account_id) == col(t.Notification.account_id),
                    col(t.NotificationPreference.kind) == col(t.Notification.kind),
                ),
            )
            .where(
                t.NotificationPreference.mode == Mode.DAILY.value,
                col(t.Account.email).is_not(None),
                col(t.Account.active),
                col(t.Notification.read_at).is_(None),
                col(t.Notification.id).not_in(in_digest),
                ~sent_today,
            )
            .order_by(col(t.Notification.id))
        ).all()
        due: dict[tuple[str, str], Notices] = defaultdict(list)
        for notification_id, kind, account in rows:
            if notification_id is not None:
                due[(account.id, str(account.email))].append((notification_id, kind))
        return dict(due)


def _claim(engine: Engine, account_id: str, day: str, now: datetime, notices: Notices) -> bool:
    """Record the day's digest and its notices before sending; False when the day's
    digest exists already (another worker's, or an earlier run's)."""
    with session_scope(engine) as session:
        row = {"account_id": account_id, "day": day, "sent_at": now, "notices": len(notices)}
        if insert_once(session, t.Digest, [row], ["account_id", "day"]) != 1:
            return False
        listed = [
            {
                "notification_id": notification_id,
                "account_id": account_id,
                "kind": kind,
                "channel": CHANNEL,
                "at": now,
            }
            for notification_id, kind in notices
        ]
        insert_once(session, t.Delivery, listed, ["notification_id", "channel"])
        return True


def _unclaim(engine: Engine, account_id: str, day: str, notices: Notices) -> None:
    """Remove a digest that could not be sent, so the next run sends it."""
    with session_scope(engine) as session:
        session.execute(
            delete(t.Delivery).where(
                col(t.Delivery.channel) == CHANNEL,
                col(t.Delivery.notification_id).in_([n for n, _ in notices]),
            )
        )
        session.execute(
            delete(t.Digest).where(col(t.Digest.account_id) == account_id, col(t.Digest.day) == day)
        )


def message(settings: Settings, address: str, day: str, notices: Notices) -> EmailMessage:
    """The digest e-mail: each notice's kind in words and its link; nothing else."""
    base = settings.public_url.rstrip("/")
    lines = [f"- {LABELS[Kind(kind)]}: {base}{inbox_link(n)}" for n, kind in notices]
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = address
    mail["Subject"] = f"LEAD matcher: your notices of {day} ({len(notices)})"
    mail.set_content(
        "Your notices since the last summary (sign-in required to open them):\n\n"
        + "\n".join(lines)
        + "\n\nEach kind of notice can be e-mailed at once, in this summary, or not at "
        "all (/me/notification-preferences).\n"
    )
    return mail
