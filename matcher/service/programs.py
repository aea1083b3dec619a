"""Admins manage programs: what each offers, where, to whom. Capacity is the
providers' to report; admins set only what the fund may buy there and its price."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from matcher.capacity.ledger import Event, EventKind, LedgerError, ProgramLedger
from matcher.money import one_price_cents
from matcher.scenario import Capacity, Program
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.store import tables as t
from matcher.store.programs import ensure_organization, record_capacity, upsert_program
from matcher.store.snapshot import add_program, program_columns


def create(session: Session, program: Program, actor: str, now: datetime) -> None:
    """Add a program (and its organisation when new); capacity unknown until reported."""
    if session.get(t.Program, program.id) is not None:
        raise Conflict("duplicate_id", f"program {program.id} already exists", field="id")
    ensure_organization(session, program.provider_id, program.provider_id, rename=False)
    cap = Capacity(purchasable=program.capacity.purchasable, price=program.capacity.price)
    add_program(session, program.model_copy(update={"capacity": cap}), now, actor=actor)


def update(session: Session, program: Program, actor: str, now: datetime) -> None:
    """Replace a program's facts; what the fund may buy is recorded in the ledger."""
    row = session.get(t.Program, program.id)
    if row is None:
        raise NotFound(f"no program {program.id}", field="program_id")
    if program.provider_id != row.organization_id:
        raise Invalid(
            "immutable", "a program cannot move to another organisation", field="provider_id"
        )
    upsert_program(session, program.id, program_columns(program))
    cap = program.capacity
    price = one_price_cents(cap.price)

    def purchasable(state: ProgramLedger) -> list[Event]:
        if (state.purchasable, state.price_cents) == (cap.purchasable, price):
            return []
        return [
            Event(EventKind.PURCHASABLE_SET, now, actor, places=cap.purchasable, price_cents=price)
        ]

    try:
        record_capacity(session, program.id, purchasable)
    except LedgerError as err:
        raise Invalid(err.rule, err.message, field="capacity") from err


def names(session: Session, program_ids: Iterable[str]) -> dict[str, str]:
    """What people call each of these programs (its id when it has no name)."""
    wanted = set(program_ids)
    if not wanted:
        return {}
    rows = session.exec(select(t.Program.id, t.Program.name).where(col(t.Program.id).in_(wanted)))
    return {pid: name or pid for pid, name in rows}


def ids(session: Session, organization_id: str | None = None) -> list[str]:
    """Every program's id, or one organisation's, sorted in Python so the order is the
    same on every database (the HSDS API pages through services in this order)."""
    query = select(t.Program.id)
    if organization_id is not None:
        query = query.where(t.Program.organization_id == organization_id)
    return sorted(session.exec(query))


def organizations(session: Session) -> list[tuple[str, str | None]]:
    """Every organisation's id and stored name, by name: whom a consent may name."""
    rows = session.exec(
        select(t.Organization.id, t.Organization.name).order_by(col(t.Organization.name))
    )
    return [(oid, name) for oid, name in rows]


def organization_name(session: Session, organization_id: str) -> str | None:
    """An organisation's stored name (None when it has none, or there is no such one)."""
    found = session.get(t.Organization, organization_id)
    return found.name if found else None
