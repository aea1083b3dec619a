"""The audit log: who did what to which object and how it ended. No participant values.

A use case names its action and objects with ``note``; whoever runs the use case (the
API's unit of work, the command line) writes the record in the use case's own
transaction, so a write and its record commit together or not at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from matcher.store import tables as t

SYSTEM = "system"
"""The actor, role and username of what the service does by itself (hold expiry)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit record: ``action`` in words (``referral.confirm``), ``route`` the
    request's method and path template, and the ids of the objects when known."""

    at: datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str | None
    outcome: str
    status: int
    username: str | None = None
    route: str | None = None
    participant_id: str | None = None
    program_id: str | None = None
    referral_id: str | None = None


def by_system(r: t.Referral, action: str, now: datetime) -> Entry:
    """The record of what the service did to a referral by itself (an expiry, an
    offer): the ``system`` actor, and the referral's ids."""
    return Entry(
        at=now,
        actor=SYSTEM,
        role=SYSTEM,
        action=action,
        object_type="referral",
        object_id=r.id,
        outcome="allowed",
        status=200,
        username=SYSTEM,
        participant_id=r.participant_id,
        program_id=r.program_id,
        referral_id=r.id,
    )


def note(
    session: Session,
    action: str,
    *,
    participant_id: str | None = None,
    program_id: str | None = None,
    referral_id: str | None = None,
) -> None:
    """Name the action and the objects of the current use case for its audit record."""
    session.info["audit_note"] = {
        "action": action,
        "participant_id": participant_id,
        "program_id": program_id,
        "referral_id": referral_id,
    }


def noted(session: Session) -> dict[str, Any] | None:
    """What the use case run in ``session`` said it did (``note``), if anything."""
    found = session.info.get("audit_note")
    return dict(found) if found is not None else None


def record(session: Session, entry: Entry) -> None:
    """Append one record (the table refuses updates and deletes)."""
    record_many(session, [entry])


def record_many(session: Session, entries: list[Entry]) -> None:
    """Append records in one statement, in order."""
    if entries:
        session.connection().execute(insert(t.AuditEvent), [asdict(e) for e in entries])


def query(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    username: str | None = None,
    action: str | None = None,
    object_id: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Entry]:
    """Records, newest first, filtered: from ``since`` up to (not including) ``until``;
    ``action`` is one action (``referral.confirm``) or a family (``referral``); and
    ``object_id`` also finds records naming the object as their participant, program
    or referral. ``offset`` skips that many records, for pages."""
    q = select(t.AuditEvent)
    if since is not None:
        q = q.where(t.AuditEvent.at >= since)
    if until is not None:
        q = q.where(t.AuditEvent.at < until)
    if actor is not None:  # an account id or, as people say it, a username
        q = q.where((col(t.AuditEvent.actor) == actor) | (col(t.AuditEvent.username) == actor))
    if username is not None:
        q = q.where(t.AuditEvent.username == username)
    if action is not None:
        family = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(
            (col(t.AuditEvent.action) == action)
            | col(t.AuditEvent.action).like(family + ".%", escape="\\")
        )
    if object_id is not None:
        q = q.where(
            (col(t.AuditEvent.object_id) == object_id)
            | (col(t.AuditEvent.participant_id) == object_id)
            | (col(t.AuditEvent.program_id) == object_id)
            | (col(t.AuditEvent.referral_id) == object_id)
        )
    rows = session.exec(q.order_by(col(t.AuditEvent.id).desc()).offset(offset).limit(limit))
    return [
        Entry(
            r.at,
            r.actor,
            r.role,
            r.action,
            r.object_type,
            r.object_id,
            r.outcome,
            r.status,
            r.username,
            r.route,
            r.participant_id,
            r.program_id,
            r.referral_id,
        )
        for r in rows
    ]


def actions(session: Session) -> list[str]:
    """Every action the log has recorded, in order, to choose a filter from."""
    found = session.exec(select(t.AuditEvent.action).distinct().order_by(col(t.AuditEvent.action)))
    return list(found.all())


FIELDS = tuple(f for f in Entry.__dataclass_fields__)
"""An entry's fields, in order: the columns of a download."""
