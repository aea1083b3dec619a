"""Notifications: who is told what, written in the transaction of what caused it.

A notification carries its kind, at most a participant's pseudonym, and a link into
the pages; never attributes, needs' details, notes or treatment information (42 CFR
Part 2 and HIPAA's minimum necessary), so it is safe in any channel. Each row has a
``key`` naming what it announces, unique per account: a referral reaches each status
once, and the periodic warnings (a hold or referral about to expire, a stale capacity
report) are written with ``INSERT ... ON CONFLICT DO NOTHING``, so two jobs racing,
or a job run again, announce each thing to each account once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from matcher.capacity.referral import Action, Status
from matcher.service.errors import NotFound
from matcher.store import tables as t
from matcher.store.once import insert_once


class Kind(StrEnum):
    """What a notification announces."""

    REFERRAL_SENT = "referral_sent"  # to the provider: a referral arrived
    REFERRAL_ANSWERED = "referral_answered"  # to the case manager: enrolled or declined
    REFERRAL_WITHDRAWN = "referral_withdrawn"  # to the provider: a sent one was let go
    REFERRAL_EXPIRING = "referral_expiring"  # to the case manager: a hold or referral ends soon
    CAPACITY_STALE = "capacity_stale"  # to the provider: no capacity report for N days
    REFERRAL_EXPIRED = "referral_expired"  # to the provider: a sent referral ran out
    INTAKE_WAITING = "intake_waiting"  # to case managers: an intake waits to be taken up
    DELIVERY_FAILING = "delivery_failing"  # to admins: a webhook keeps failing
    OFFER_MADE = "offer_made"  # to the case manager: a freed place is offered for a need


class Mode(StrEnum):
    """How an account wants a kind of notice outside the inbox."""

    IMMEDIATELY = "immediately"
    DAILY = "daily"
    OFF = "off"


LABELS = {
    Kind.REFERRAL_SENT: "A referral arrived",
    Kind.REFERRAL_ANSWERED: "A referral was answered",
    Kind.REFERRAL_WITHDRAWN: "A referral was withdrawn",
    Kind.REFERRAL_EXPIRING: "A hold or referral expires soon",
    Kind.CAPACITY_STALE: "Your capacity report is out of date",
    Kind.REFERRAL_EXPIRED: "A referral expired unanswered",
    Kind.INTAKE_WAITING: "An intake waits to be taken up",
    Kind.DELIVERY_FAILING: "Webhook deliveries keep failing",
    Kind.OFFER_MADE: "A place is offered for one of your participants",
}
"""Each kind in words, for the pages and e-mails."""

PROVIDER_PAGE = "/web/provider"
CASE_MANAGER_PAGE = "/web/case-manager"
INBOX_PAGE = "/web/inbox"


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing to announce (the same for every account it goes to)."""

    kind: Kind
    key: str
    link: str
    pseudonym: str | None = None


def provider_accounts(session: Session, organization_id: str) -> list[str]:
    """The active accounts of a provider organisation."""
    return _accounts(session, "provider", organization_id)


def case_manager_accounts(session: Session, case_manager_id: str) -> list[str]:
    """The active account(s) of a case manager."""
    return _accounts(session, "case_manager", case_manager_id)


def admin_accounts(session: Session) -> list[str]:
    """The active admin accounts."""
    rows = session.exec(
        select(t.Account.id).where(t.Account.role == "admin", col(t.Account.active))
    )
    return sorted(rows.all())


def _accounts(session: Session, role: str, subject_id: str) -> list[str]:
    rows = session.exec(
        select(t.Account.id).where(
            t.Account.role == role, t.Account.subject_id == subject_id, col(t.Account.active)
        )
    )
    return sorted(rows.all())


def notify(session: Session, accounts: Iterable[str], notice: Notice, now: datetime) -> int:
    """Write ``notice`` to each account that was not told it before; how many rows are
    new (a concurrent writer of the same notice makes one of the two a no-op)."""
    rows = [
        {
            "account_id": account_id,
            "kind": notice.kind.value,
            "pseudonym": notice.pseudonym,
            "link": notice.link,
            "key": notice.key,
            "created_at": now,
        }
        for account_id in sorted(set(accounts))
    ]
    return insert_once(session, t.Notification, rows, ["account_id", "key"])


def referral_changed(
    session: Session, r: t.Referral, before: Status | None, action: Action, now: datetime
) -> int:
    """Announce a referral's change to whom it concerns (called by the one function
    every referral change passes through): sent → the provider; answered → the case
    manager; a sent referral withdrawn, released or expired → the provider; an offer →
    the case manager."""
    program = session.get(t.Program, r.program_id)
    if program is None:
        return 0
    key = f"referral:{r.id}:{r.status}"
    to_provider = PROVIDER_PAGE + f"#referral-{r.id}"
    to_case_manager = f"{CASE_MANAGER_PAGE}/participants/{r.participant_id}"
    if action is Action.OFFER:
        notice = Notice(Kind.OFFER_MADE, key, to_case_manager, r.participant_id)
        return notify(session, case_manager_accounts(session, r.case_manager_id), notice, now)
    if action is Action.CONFIRM:
        notice = Notice(Kind.REFERRAL_SENT, key, to_provider, r.participant_id)
        return notify(session, provider_accounts(session, program.organization_id), notice, now)
    if action in (Action.ENROL, Action.DECLINE):
        notice = Notice(Kind.REFERRAL_ANSWERED, key, to_case_manager, r.participant_id)
        return notify(session, case_manager_accounts(session, r.case_manager_id), notice, now)
    if action in (Action.WITHDRAW, Action.RELEASE) and before is Status.REFERRED:
        notice = Notice(Kind.REFERRAL_WITHDRAWN, key, to_provider, r.participant_id)
        return notify(session, provider_accounts(session, program.organization_id), notice, now)
    if action is Action.EXPIRE and before is Status.REFERRED:
        notice = Notice(Kind.REFERRAL_EXPIRED, key, to_provider, r.participant_id)
        return notify(session, provider_accounts(session, program.organization_id), notice, now)
    return 0


def intake_waiting(session: Session, intake_id: str, now: datetime) -> int:
    """Tell the case managers that an intake waits to be taken up (any of them may
    take it); no pseudonym: nobody has one until a case manager takes it up."""
    rows = session.exec(
        select(t.Account.id).where(t.Account.role == "case_manager", col(t.Account.active))
    )
    notice = Notice(Kind.INTAKE_WAITING, f"intake:{intake_id}", CASE_MANAGER_PAGE + "#intakes-h")
    return notify(session, rows.all(), notice, now)


ADMIN_DELIVERIES_PAGE = "/web/admin/deliveries"


def delivery_failing(session: Session, endpoint_id: str, now: datetime) -> int:
    """Tell the admins that deliveries to a webhook endpoint ran out of attempts, once
    per endpoint and day however many fail (the log page says which)."""
    key = f"webhook-failing:{endpoint_id}:{now.date().isoformat()}"
    notice = Notice(Kind.DELIVERY_FAILING, key, ADMIN_DELIVERIES_PAGE)
    return notify(session, admin_accounts(session), notice, now)


def warn_expiring(session: Session, now: datetime, within: timedelta) -> int:
    """Tell case managers of holds and sent referrals that expire within ``within``,
    once per referral and expiry time (a renewed hold is announced again)."""
    rows = session.exec(
        select(t.Referral).where(
            col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES),
            t.Referral.expires_at > now,
            t.Referral.expires_at <= now + within,
        )
    ).all()
    told = 0
    for r in sorted(rows, key=lambda x: x.id):
        key = f"expiring:{r.id}:{r.expires_at.isoformat()}"
        link = f"{CASE_MANAGER_PAGE}/participants/{r.participant_id}"
        notice = Notice(Kind.REFERRAL_EXPIRING, key, link, r.participant_id)
        told += notify(session, case_manager_accounts(session, r.case_manager_id), notice, now)
    return told


def warn_stale(session: Session, now: datetime, default_days: int) -> int:
    """Tell providers of programs whose capacity was not reported for their number of
    days (``Program.stale_after_days``, else ``default_days``), once per report."""
    rows = session.exec(
        select(t.Program, t.ProgramCapacity).join(
            t.ProgramCapacity, col(t.ProgramCapacity.program_id) == col(t.Program.id)
        )
    ).all()
    told = 0
    for program, capacity in sorted(rows, key=lambda pair: pair[0].id):
        days = program.stale_after_days or default_days
        reported = capacity.reported_at
        if reported is not None and reported + timedelta(days=days) > now:
            continue
        since = reported.isoformat() if reported is not None else "never"
        notice = Notice(Kind.CAPACITY_STALE, f"stale:{program.id}:{since}", PROVIDER_PAGE)
        told += notify(session, provider_accounts(session, program.organization_id), notice, now)
    return told


@dataclass(frozen=True, slots=True)
class Inbox:
    """An account's notifications, newest first, and how many are unread."""

    items: list[t.Notification]
    unread: int


def inbox(session: Session, account_id: str, limit: int = 100, offset: int = 0) -> Inbox:
    """The account's notifications, newest first."""
    items = session.exec(
        select(t.Notification)
        .where(t.Notification.account_id == account_id)
        .order_by(col(t.Notification.created_at).desc(), col(t.Notification.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return Inbox(list(items), unread(session, account_id))


def unread(session: Session, account_id: str) -> int:
    """How many of the account's notifications are unread."""
    found = session.exec(
        select(func.count()).where(
            t.Notification.account_id == account_id, col(t.Notification.read_at).is_(None)
        )
    ).one()
    return int(found)


def mark_read(session: Session, account_id: str, notification_id: int, now: datetime) -> None:
    """Mark one of the account's notifications read (again: no change). 404 when it is
    not the account's, so nobody learns of others' notifications."""
    found = session.get(t.Notification, notification_id)
    if found is None or found.account_id != account_id:
        raise NotFound(f"no notification {notification_id}", field="notification_id")
    session.execute(
        update(t.Notification)
        .where(col(t.Notification.id) == notification_id, col(t.Notification.read_at).is_(None))
        .values(read_at=now)
    )


def open_link(session: Session, account_id: str, notification_id: int, now: datetime) -> str:
    """Mark one of the account's notifications read and give the page it links to. An
    e-mail links here (``inbox_link``) rather than to that page, so a case manager's
    e-mail carries no pseudonym even in its address. 404 when it is not the account's."""
    mark_read(session, account_id, notification_id, now)
    found = session.get(t.Notification, notification_id)
    assert found is not None
    return found.link


def inbox_link(notification_id: int) -> str:
    """The address (on this site) that opens notification ``notification_id``."""
    return f"{INBOX_PAGE}/{notification_id}"


def preferences(session: Session, account_id: str) -> dict[Kind, Mode]:
    """The account's mode for every kind (``immediately`` unless it chose otherwise)."""
    chosen = {
        p.kind: p.mode
        for p in session.exec(
            select(t.NotificationPreference).where(
                t.NotificationPreference.account_id == account_id
            )
        )
    }
    return {kind: Mode(chosen.get(kind.value, Mode.IMMEDIATELY.value)) for kind in Kind}


def set_preference(session: Session, account_id: str, kind: Kind, mode: Mode) -> None:
    """Store the account's mode for one kind."""
    row = session.get(t.NotificationPreference, (account_id, kind.value))
    if row is None:
        row = t.NotificationPreference(account_id=account_id, kind=kind.value, mode=mode.value)
    row.mode = mode.value
    session.add(row)
