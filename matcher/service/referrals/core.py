"""The one way a referral changes, and how it is shown.

``change`` applies one ``Action`` of the lifecycle table (``matcher.capacity.referral``)
to a referral: it checks the step, records the capacity event in the program's
ledger, sets the status, appends the referral event and names the action for the
audit record, all in the caller's transaction. Callers hold the program's ledger
under its row lock (``locked``), so two requests for the last place, or two answers
to one referral, cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from matcher.capacity.ledger import Event, LedgerError, expired
from matcher.capacity.pools import PoolName
from matcher.capacity.referral import Action, Status, TransitionError, step
from matcher.scenario import category_of
from matcher.service import audit, notifications
from matcher.service.errors import Conflict, NotFound
from matcher.store import tables as t
from matcher.store.ledger import Loaded, load, record


@dataclass(frozen=True, slots=True)
class ReferralView:
    """A referral as case managers and providers see it (no participant attributes)."""

    referral_id: str
    program_id: str
    participant_id: str
    need_id: str
    service_types: list[str]
    pool: str
    status: str
    price: float
    created_at: datetime
    expires_at: datetime
    decline_reason: str | None
    facts: dict[str, Any] = field(default_factory=dict)
    notice: str | None = None
    note: str | None = None
    sent_at: datetime | None = None
    respond_by: datetime | None = None
    overdue: bool = False
    contact: str | None = None  # the case manager's work contact, for the provider


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One step of a referral's history."""

    status: str
    at: datetime
    actor: str
    reason: str | None


def view(session: Session, r: t.Referral, now: datetime) -> ReferralView:
    """The referral as its case manager sees it at ``now`` (``overdue``: sent, not
    answered, past the provider's response deadline)."""
    need = session.get(t.PlanNeed, r.need_id)
    overdue = (
        r.status == Status.REFERRED
        and r.respond_by is not None
        and r.respond_by <= now < r.expires_at
    )
    return ReferralView(
        referral_id=r.id,
        program_id=r.program_id,
        participant_id=r.participant_id,
        need_id=r.need_id,
        service_types=need.service_types if need else [],
        pool=r.pool,
        status=r.status,
        price=r.price_cents / 100,
        created_at=r.created_at,
        expires_at=r.expires_at,
        decline_reason=r.decline_reason,
        note=r.note,
        sent_at=r.sent_at,
        respond_by=r.respond_by,
        overdue=overdue,
    )


def category(session: Session, r: t.Referral) -> str:
    """The service category of the referral's need ('' when the need is gone)."""
    need = session.get(t.PlanNeed, r.need_id)
    return category_of(need.service_types[0]) if need else ""


def change(
    session: Session,
    loaded: Loaded,
    r: t.Referral,
    action: Action,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
    note: str | None = None,
    expires_at: datetime | None = None,
    respond_by: datetime | None = None,
    audited: bool = True,
    position: int | None = None,
) -> Loaded:
    """Apply ``action`` to ``r`` (a new row for ``HOLD``): the step the lifecycle
    allows, its capacity event, the new status, the referral event, the audit note
    and the notifications it causes, together. ``loaded`` is the program's ledger
    under its lock; the new one is returned. Refused (409) when the status or the
    ledger forbids it. ``position`` is a ``waitlist_turn`` hold's place on the
    waitlist."""
    new = action in (Action.HOLD, Action.OFFER)
    current = None if new else Status(r.status)
    try:
        found = step(current, action)
    except TransitionError as err:
        raise Conflict("status", str(err), field="status") from err
    pool: PoolName = r.pool  # type: ignore[assignment]
    event = Event(
        found.capacity,
        now,
        actor,
        reason=reason or "",
        hold_id=r.id,
        pool=pool,
        expires_at=r.expires_at if new else expires_at,
        position=position,
    )
    try:
        loaded = record(session, loaded, r.program_id, event)
    except LedgerError as err:
        raise Conflict(err.rule, err.message, field="program_id") from err
    r.status = found.target.value
    r.updated_at = now
    if expires_at is not None:
        r.expires_at = expires_at
    if action is Action.CONFIRM:
        r.sent_at = now
        r.respond_by = respond_by
    if action in (Action.DECLINE, Action.WITHDRAW):
        r.decline_reason = reason  # why it closed: what steers later matches
    if note is not None:
        r.note = note
    session.add(r)
    session.add(
        t.ReferralEvent(referral_id=r.id, status=r.status, at=now, actor=actor, reason=reason)
    )
    notifications.referral_changed(session, r, current, action, now)
    if audited:
        audit.note(
            session,
            f"referral.{action.value}",
            participant_id=r.participant_id,
            program_id=r.program_id,
            referral_id=r.id,
        )
    return loaded


def locked(session: Session, program_id: str, now: datetime) -> Loaded:
    """The program's ledger under its row lock, with overdue holds recorded as expired."""
    return lock_and_expire(session, program_id, now)[0]


def lock_and_expire(session: Session, program_id: str, now: datetime) -> tuple[Loaded, int]:
    """As ``locked``, also saying how many expiries it recorded."""
    loaded = load(session, program_id, lock=True)
    if loaded is None:
        raise NotFound(f"no program {program_id}", field="program_id")
    overdue = sorted(expired(loaded.state, now), key=lambda h: h.hold_id)
    for hold in overdue:  # holds are read from open referral rows: each has its row
        referral = session.get(t.Referral, hold.hold_id)
        if referral is not None:
            loaded = change(
                session,
                loaded,
                referral,
                Action.EXPIRE,
                actor="system",
                now=now,
                reason="ttl",
                audited=False,
            )
    session.flush()
    return loaded, len(overdue)


def act(
    session: Session,
    r: t.Referral,
    action: Action,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
    note: str | None = None,
    expires_at: datetime | None = None,
    respond_by: datetime | None = None,
) -> ReferralView:
    """Lock the referral's program, read the referral again under the lock (another
    request may have acted), and ``change`` it."""
    loaded = locked(session, r.program_id, now)
    session.refresh(r)
    change(
        session,
        loaded,
        r,
        action,
        actor=actor,
        now=now,
        reason=reason,
        note=note,
        expires_at=expires_at,
        respond_by=respond_by,
    )
    session.flush()
    return view(session, r, now)
