"""Admins manage programs: what each offers, where, to whom. Capacity is the
providers' to report; admins set only what the fund may buy there and its price."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from matcher.capacity.ledger import Event, EventKind, LedgerError
from matcher.money import one_price_cents
from matcher.scenario import Capacity, Program
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.store import tables as t
from matcher.store.ledger import load, record
from matcher.store.snapshot import add_program


def create(session: Session, program: Program, actor: str, now: datetime) -> None:
    """Add a program (and its organisation when new); capacity unknown until reported."""
    if session.get(t.Program, program.id) is not None:
        raise Conflict("duplicate_id", f"program {program.id} already exists", field="id")
    if session.get(t.Organization, program.provider_id) is None:
        session.add(t.Organization(id=program.provider_id, name=program.provider_id))
        session.flush()
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
    b = program.barriers
    row.name = program.name
    row.service_types = program.service_types
    row.lat, row.lon = program.location.lat, program.location.lon
    row.neighborhood = program.location.neighborhood
    row.excludes_active_use = b.excludes_active_use
    row.excludes_sex_work = b.excludes_sex_work
    row.requires_religious_participation = b.requires_religious_participation
    row.conversion_therapy = b.conversion_therapy
    row.excludes_criminal_history = b.excludes_criminal_history
    row.eligibility = program.eligibility.model_dump(mode="json", exclude_none=True)
    row.serves = program.serves
    row.languages = program.languages
    session.add(row)
    for old in session.exec(
        select(t.ProgramService).where(t.ProgramService.program_id == program.id)
    ):
        session.delete(old)
    session.flush()
    for kind in sorted(set(program.service_types)):
        session.add(t.ProgramService(program_id=program.id, service_type=kind))
    loaded = load(session, program.id, lock=True)
    if loaded is None:
        raise NotFound(f"no program {program.id}", field="program_id")
    cap = program.capacity
    price = one_price_cents(cap.price)
    if (loaded.state.purchasable, loaded.state.price_cents) != (cap.purchasable, price):
        event = Event(
            EventKind.PURCHASABLE_SET, now, actor, places=cap.purchasable, price_cents=price
        )
        try:
            record(session, loaded, program.id, event)
        except LedgerError as err:
            raise Invalid(err.rule, err.message, field="capacity") from err
