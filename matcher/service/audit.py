"""The audit log: who did what to which object and how it ended. No participant values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


def record(session: Session, entry: Entry) -> None:
    """Append one record (the table refuses updates and deletes)."""
    session.add(
        t.AuditEvent(
            at=entry.at,
            actor=entry.actor,
            role=entry.role,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            outcome=entry.outcome,
            status=entry.status,
        )
    )


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
