"""Referrals into LEAD from police officers and prosecutors.

A referrer submits an intake and can see that it was received, and nothing else:
no plan, no match, nothing about treatment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from matcher.service.errors import NotFound
from matcher.store import tables as t


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a referrer may know: the intake was received, and when."""

    intake_id: str
    reference: str
    status: str
    received_at: datetime


def submit(session: Session, referrer_id: str, reference: str, note: str, now: datetime) -> Receipt:
    """Record an intake; the note is stored encrypted."""
    row = t.Intake(
        id=uuid.uuid4().hex,
        referrer_id=referrer_id,
        reference=reference,
        note=note,
        received_at=now,
    )
    session.add(row)
    session.flush()
    return Receipt(row.id, row.reference, "received", row.received_at)


def receipt(session: Session, referrer_id: str, intake_id: str) -> Receipt:
    """The referrer's own intake's receipt (another's answers like a missing one)."""
    row = session.get(t.Intake, intake_id)
    if row is None or row.referrer_id != referrer_id:
        raise NotFound(f"no intake {intake_id}", field="intake_id")
    return Receipt(row.id, row.reference, "received", row.received_at)
