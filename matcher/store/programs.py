"""The one way organisations, programs and their capacity get into the store.

Every writer (``import-scenario``, the HSDS and HMIS importers, admins' program
edits, the taxonomy remap) goes through these: an organisation is created or renamed
in one place (``ensure_organization``), a program is created or changed in one place
(``upsert_program``, so a program's service types, the ``service_types`` column and
the ``ProgramService`` rows that matching queries by type, can never disagree), and
capacity changes only as ledger events recorded under the program's lock
(``record_capacity``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import inspect
from sqlmodel import Session, select

from matcher.capacity.ledger import Event, ProgramLedger
from matcher.store import tables as t
from matcher.store.ledger import Loaded, load, record

Outcome = Literal["created", "updated", "unchanged"]


def ensure_organization(
    session: Session, organization_id: str, name: str, *, rename: bool = True
) -> bool:
    """Create the organisation, or (with ``rename``, for a source that owns its names)
    rename it when its name changed; True when written."""
    row = session.get(t.Organization, organization_id)
    if row is None:
        session.add(t.Organization(id=organization_id, name=name))
        session.flush()
        return True
    if rename and row.name != name:
        row.name = name
        session.add(row)
        return True
    return False


def set_service_types(session: Session, row: t.Program, service_types: Iterable[str]) -> None:
    """Give a program these service types, in the order given (each once), on its row
    and in ``ProgramService``. An empty list keeps the program out of every match."""
    kinds = list(dict.fromkeys(service_types))
    row.service_types = kinds
    session.add(row)
    old: list[t.ProgramService] = []
    if inspect(row).persistent:  # a new program has no rows to replace
        query = select(t.ProgramService).where(t.ProgramService.program_id == row.id)
        old = list(session.exec(query))
        if sorted(o.service_type for o in old) == sorted(kinds):
            return
        for stale in old:
            session.delete(stale)
        session.flush()
    for kind in sorted(kinds):
        session.add(t.ProgramService(program_id=row.id, service_type=kind))


def add_capacity_row(session: Session, program_id: str) -> t.ProgramCapacity:
    """The capacity row every program has, for a new program: capacity unknown, no
    event yet (the ledger's events come through ``matcher.store.ledger.record``)."""
    row = t.ProgramCapacity(program_id=program_id)
    session.add(row)
    session.flush()
    return row


def upsert_program(
    session: Session, program_id: str, columns: Mapping[str, Any]
) -> tuple[t.Program, Outcome]:
    """Create the program with these column values (``service_types`` among them), or
    change the columns whose values differ; says which. A new program has no capacity
    row yet: ``record_capacity`` or ``add_capacity_row`` gives it one."""
    values = dict(columns)
    kinds = list(dict.fromkeys(values.pop("service_types", [])))
    row = session.get(t.Program, program_id)
    if row is None:
        row = t.Program(id=program_id, service_types=kinds, **values)
        session.add(row)
        session.flush()
        set_service_types(session, row, kinds)
        return row, "created"
    changed = {key: value for key, value in values.items() if getattr(row, key) != value}
    if not changed and row.service_types == kinds:
        return row, "unchanged"
    for key, value in changed.items():
        setattr(row, key, value)
    set_service_types(session, row, kinds)
    return row, "updated"


def record_capacity(
    session: Session,
    program_id: str,
    events_for: Callable[[ProgramLedger], Sequence[Event]],
) -> int:
    """Record the capacity events ``events_for`` derives from the program's ledger
    state, read under the program's lock (a program without a capacity row gets one
    first, capacity unknown); how many were recorded."""
    loaded = load(session, program_id, lock=True)
    if loaded is None:
        loaded = Loaded(add_capacity_row(session, program_id), ProgramLedger())
    events = list(events_for(loaded.state))
    for event in events:
        loaded = record(session, loaded, program_id, event)
    return len(events)
