"""The ledger's storage: load a program's state from rows, record events, verify.

The pure rules live in ``matcher.capacity.ledger``; this module only moves state
between them and the tables, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from matcher.capacity.ledger import Event, EventKind, Hold, ProgramLedger, appeared, apply, fold
from matcher.capacity.pools import PoolName
from matcher.store.tables import (
    OPEN_REFERRAL_STATUSES,
    CapacityEvent,
    CapacitySignal,
    ProgramCapacity,
    Referral,
)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A program's capacity row and the pure state it stands for."""

    row: ProgramCapacity
    state: ProgramLedger


def open_holds(session: Session, program_ids: Sequence[str]) -> dict[str, dict[str, Hold]]:
    """Holds not yet closed, per program (expired-but-unrecorded ones included)."""
    out: dict[str, dict[str, Hold]] = {pid: {} for pid in program_ids}
    if not program_ids:
        return out
    rows = session.exec(
        select(Referral).where(
            col(Referral.program_id).in_(program_ids),
            col(Referral.status).in_(OPEN_REFERRAL_STATUSES),
        )
    )
    for r in rows:
        pool: PoolName = r.pool  # type: ignore[assignment]
        out[r.program_id][r.id] = Hold(r.id, pool, r.expires_at, r.price_cents)
    return out


def states_now(session: Session) -> dict[str, ProgramLedger]:
    """Every program's ledger state, read as plain columns (no row objects, no locks):
    what the queue's re-solve reads at each event."""
    holds: dict[str, dict[str, Hold]] = {}
    open_rows = session.execute(
        core_select(
            col(Referral.program_id),
            col(Referral.id),
            col(Referral.pool),
            col(Referral.expires_at),
            col(Referral.price_cents),
        ).where(col(Referral.status).in_(OPEN_REFERRAL_STATUSES))
    )
    for program_id, rid, pool, expires_at, price in open_rows:
        holds.setdefault(program_id, {})[rid] = Hold(rid, pool, expires_at, price)
    rows = session.execute(core_select(ProgramCapacity.__table__))  # type: ignore[attr-defined]
    return {r.program_id: state_of(r, holds.get(r.program_id, {})) for r in rows}


def state_of(row: ProgramCapacity | Any, holds: dict[str, Hold]) -> ProgramLedger:
    """The pure ledger state a capacity row (or a row of its columns) and its open
    holds stand for."""
    return ProgramLedger(
        open_slots=row.open_slots,
        waitlist=row.waitlist,
        reported_at=row.reported_at,
        enrolled=row.enrolled,
        ended=row.ended,
        lead_reserved=row.lead_reserved,
        purchasable=row.purchasable,
        price_cents=row.price_cents,
        holds=holds,
        version=row.version,
        reports=row.report_version,
    )


def load(session: Session, program_id: str, *, lock: bool = False) -> Loaded | None:
    """A program's ledger; ``lock`` takes its row lock (PostgreSQL) for the transaction."""
    query = select(ProgramCapacity).where(ProgramCapacity.program_id == program_id)
    if lock:
        query = query.with_for_update()
    row = session.exec(query).first()
    if row is None:
        return None
    return Loaded(row, state_of(row, open_holds(session, [program_id])[program_id]))


def load_many(session: Session, program_ids: Sequence[str] | None = None) -> dict[str, Loaded]:
    """Ledgers of many programs (all when ``program_ids`` is None), without locks."""
    query = select(ProgramCapacity)
    if program_ids is not None:
        query = query.where(col(ProgramCapacity.program_id).in_(program_ids))
    rows = list(session.exec(query))
    holds = open_holds(session, [r.program_id for r in rows])
    return {r.program_id: Loaded(r, state_of(r, holds[r.program_id])) for r in rows}


def record(session: Session, loaded: Loaded, program_id: str, event: Event) -> Loaded:
    """Apply ``event`` (raising ``LedgerError`` if the state forbids it), store the
    event and the new state, and a capacity signal when the event made capacity
    appear. The caller owns the transaction and the referral rows."""
    state = apply(loaded.state, event)
    session.add(
        CapacityEvent(
            program_id=program_id,
            version=state.version,
            kind=event.kind.value,
            at=event.at,
            actor=event.actor,
            reason=event.reason,
            hold_id=event.hold_id,
            pool=event.pool,
            open_slots=event.open_slots,
            waitlist=event.waitlist,
            places=event.places,
            price_cents=event.price_cents,
            expires_at=event.expires_at,
            position=event.position,
        )
    )
    row = loaded.row
    row.open_slots = state.open_slots
    row.waitlist = state.waitlist
    row.reported_at = state.reported_at
    row.enrolled = state.enrolled
    row.ended = state.ended
    row.lead_reserved = state.lead_reserved
    row.purchasable = state.purchasable
    row.price_cents = state.price_cents
    row.version = state.version
    row.report_version = state.reports
    session.add(row)
    if appeared(loaded.state, state, event):  # LEAD's queue is re-solved for it
        session.add(CapacitySignal(program_id=program_id, kind=event.kind.value, at=event.at))
    return Loaded(row, state)


def events_of(session: Session, program_id: str) -> list[Event]:
    """A program's events in order, as the pure ledger reads them."""
    rows = session.exec(
        select(CapacityEvent)
        .where(CapacityEvent.program_id == program_id)
        .order_by(col(CapacityEvent.version))
    )
    return [event_of(r) for r in rows]


def event_of(r: CapacityEvent) -> Event:
    """A stored event as the pure ledger reads it."""
    pool: PoolName | None = r.pool  # type: ignore[assignment]
    return Event(
        kind=EventKind(r.kind),
        at=r.at,
        actor=r.actor,
        reason=r.reason,
        open_slots=r.open_slots,
        waitlist=r.waitlist,
        hold_id=r.hold_id,
        pool=pool,
        expires_at=r.expires_at,
        places=r.places,
        price_cents=r.price_cents,
        position=r.position,
    )


def verify(session: Session, program_ids: Iterable[str]) -> list[str]:
    """Programs whose stored state differs from the replay of their events (empty when
    the ledger is consistent): the check behind "state is derived from events"."""
    loaded = load_many(session, list(program_ids))
    wrong: list[str] = []
    for pid, here in loaded.items():
        replayed = fold(events_of(session, pid))
        if replayed != here.state:
            wrong.append(pid)
    return wrong
