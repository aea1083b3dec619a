"""Referrals into LEAD from police officers and prosecutors.

A referrer submits an intake and can see that it was received, and nothing else:
no plan, no match, nothing about treatment. The case managers see the intakes nobody
has taken up yet, with the note, and one of them takes each up; after that only
that case manager sees it, and it is linked to the participant it becomes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from matcher.service import audit, notifications
from matcher.service.errors import Conflict, NotFound
from matcher.service.participants import own as own_participant
from matcher.store import tables as t


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a referrer may know: the intake was received, and when (``new``: by this
    request, not an earlier one with the same reference)."""

    intake_id: str
    reference: str
    status: str
    received_at: datetime
    new: bool = True


def _by_reference(session: Session, referrer_id: str, reference: str) -> t.Intake | None:
    return session.exec(
        select(t.Intake).where(t.Intake.referrer_id == referrer_id, t.Intake.reference == reference)
    ).first()


def submit(session: Session, referrer_id: str, reference: str, note: str, now: datetime) -> Receipt:
    """Record an intake; the note is stored encrypted. The referrer's reference names
    one intake: sent again (a retry, a second click, a colleague's copy), it answers
    with the first intake's receipt and records nothing (the database's unique
    constraint on referrer and reference decides between concurrent twins)."""
    audit.note(session, "intake.submit")
    first = _by_reference(session, referrer_id, reference)
    if first is None:
        row = t.Intake(
            id=uuid.uuid4().hex,
            referrer_id=referrer_id,
            reference=reference,
            note=note,
            received_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
            notifications.intake_waiting(session, row.id, now)
            return Receipt(row.id, row.reference, "received", row.received_at)
        except IntegrityError:  # a twin committed first: it is the intake
            first = _by_reference(session, referrer_id, reference)
            if first is None:  # pragma: no cover - the constraint named another row
                raise
    return Receipt(first.id, first.reference, "received", first.received_at, new=False)


def receipt(session: Session, referrer_id: str, intake_id: str) -> Receipt:
    """The referrer's own intake's receipt (another's answers like a missing one)."""
    row = session.get(t.Intake, intake_id)
    if row is None or row.referrer_id != referrer_id:
        raise NotFound(f"no intake {intake_id}", field="intake_id")
    return Receipt(row.id, row.reference, "received", row.received_at, new=False)


@dataclass(frozen=True, slots=True)
class IntakeView:
    """An intake as the case managers see it."""

    intake_id: str
    reference: str
    note: str
    received_at: datetime
    taken: bool
    taken_at: datetime | None
    participant_id: str | None


def _view(row: t.Intake) -> IntakeView:
    return IntakeView(
        row.id,
        row.reference,
        row.note,
        row.received_at,
        row.taken_by is not None,
        row.taken_at,
        row.participant_id,
    )


def queue(session: Session, case_manager_id: str) -> list[IntakeView]:
    """Intakes nobody has taken up, and the ones this case manager took, oldest first."""
    rows = session.exec(
        select(t.Intake)
        .where(
            or_(
                col(t.Intake.taken_by).is_(None),
                t.Intake.taken_by == case_manager_id,
            )
        )
        .order_by(col(t.Intake.received_at), col(t.Intake.id))
    )
    return [_view(r) for r in rows]


def _visible(session: Session, case_manager_id: str, intake_id: str) -> t.Intake:
    row = session.get(t.Intake, intake_id)
    if row is None or row.taken_by not in (None, case_manager_id):
        raise NotFound(f"no intake {intake_id}", field="intake_id")
    return row


def take(session: Session, case_manager_id: str, intake_id: str, now: datetime) -> IntakeView:
    """Take an intake up (again by the same case manager: no change). Once taken it
    leaves the other case managers' queue; two taking it at once: one wins, the
    other is told it is gone."""
    audit.note(session, "intake.take")
    row = _visible(session, case_manager_id, intake_id)
    if row.taken_by is None:
        claim = (
            update(t.Intake)
            .where(col(t.Intake.id) == intake_id, col(t.Intake.taken_by).is_(None))
            .values(taken_by=case_manager_id, taken_at=now)
        )
        claimed = session.connection().execute(claim)
        if claimed.rowcount != 1:
            raise Conflict("taken", "another case manager has just taken this intake up")
        session.expire(row)
    return _view(_visible(session, case_manager_id, intake_id))


def link(session: Session, case_manager_id: str, intake_id: str, participant_id: str) -> None:
    """Record which of the case manager's participants an intake they took became."""
    row = _visible(session, case_manager_id, intake_id)
    if row.taken_by != case_manager_id:
        raise Conflict("not_taken", "take the intake up first", field="intake_id")
    own_participant(session, case_manager_id, participant_id)
    row.participant_id = participant_id
    session.add(row)
    session.flush()
