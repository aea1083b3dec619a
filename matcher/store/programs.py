"""The one way organisations, programs' service types and capacity rows get into the store.

Every writer (``import-scenario``, the HSDS and HMIS importers, the taxonomy remap)
goes through these, so an organisation is created or renamed in one place and a
program's service types (the ``service_types`` column and the ``ProgramService`` rows
that matching queries by type) can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import inspect
from sqlmodel import Session, select

from matcher.store import tables as t


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
