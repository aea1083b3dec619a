"""The audit log: who did what to which object and how it ended. No participant values."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from matcher.store import tables as t


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit record."""

    at: datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str | None
    outcome: str
    status: int


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
    actor: str | None = None,
    object_id: str | None = None,
    limit: int = 500,
) -> list[Entry]:
    """Records, newest first, filtered."""
    q = select(t.AuditEvent)
    if since is not None:
        q = q.where(t.AuditEvent.at >= since)
    if actor is not None:
        q = q.where(t.AuditEvent.actor == actor)
    if object_id is not None:
        q = q.where(t.AuditEvent.object_id == object_id)
    rows = session.exec(q.order_by(col(t.AuditEvent.id).desc()).limit(limit))
    return [
        Entry(r.at, r.actor, r.role, r.action, r.object_type, r.object_id, r.outcome, r.status)
        for r in rows
    ]
