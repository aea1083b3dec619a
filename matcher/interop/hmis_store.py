"""Write an HMIS export's facilities into the store, in the caller's transaction.

Programs and organisations are keyed by HMIS ids (``hmis-<ProjectID>-<household>``,
``hmis-org-<OrganizationID>``), so importing the same export again finds them. Open
beds go in through the capacity ledger as ``reported`` events by ``hmis-import``; a
program whose numbers match the last HMIS report gets no new event, and a program
that a provider has reported on *after* the export's moment is left to that fresher
report. A program whose project is still in the export but has no beds on the day
any more is reported at zero, so nobody is matched to beds that are gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from matcher.capacity.ledger import Event, EventKind, ProgramLedger
from matcher.interop.geocode import Locator
from matcher.interop.hmis import ELIGIBILITY, Facility, HmisExport, Problem
from matcher.store import tables as t
from matcher.store.ledger import Loaded, load, record

ACTOR = "hmis-import"
SOURCE = "hmis"


@dataclass
class ImportSummary:
    """What an import did, by program id; ``skipped`` lists export rows left out."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unlocated: list[str] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    def line(self) -> str:
        """One line for a person: the counts."""
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.closed)} closed, "
            f"{len(self.stale)} left to a newer report, {len(self.skipped)} skipped, "
            f"{len(self.unlocated)} unlocated"
        )


def _last_hmis_report(session: Session, program_id: str) -> t.CapacityEvent | None:
    query = (
        select(t.CapacityEvent)
        .where(
            t.CapacityEvent.program_id == program_id,
            t.CapacityEvent.kind == EventKind.REPORTED.value,
            t.CapacityEvent.actor == ACTOR,
        )
        .order_by(col(t.CapacityEvent.version).desc())
        .limit(1)
    )
    return session.exec(query).first()


def _report(
    session: Session, program_id: str, open_slots: int, waitlist: int, at: datetime, reason: str
) -> str:
    """Record a report unless it repeats the last HMIS one or a newer report exists;
    returns ``unchanged``, ``stale`` or ``recorded``."""
    last = _last_hmis_report(session, program_id)
    if last is not None and (last.open_slots, last.waitlist) == (open_slots, waitlist):
        return "unchanged"
    loaded = load(session, program_id, lock=True)
    if loaded is None:
        row = t.ProgramCapacity(program_id=program_id)
        session.add(row)
        session.flush()
        loaded = Loaded(row, ProgramLedger())
    reported_at = loaded.state.reported_at
    if reported_at is not None and reported_at > at:
        return "stale"
    event = Event(
        EventKind.REPORTED, at, ACTOR, reason=reason, open_slots=open_slots, waitlist=waitlist
    )
    record(session, loaded, program_id, event)
    return "recorded"


def _facts(facility: Facility, lat: float | None, lon: float | None, method: str | None) -> Any:
    details = {**facility.details, "hmis": {**facility.details["hmis"], "located_by": method}}
    return {
        "organization_id": facility.organization_id,
        "name": facility.name[:300],
        "service_types": [facility.service_type],
        "lat": lat,
        "lon": lon,
        "eligibility": ELIGIBILITY[facility.household_type],
        "serves": [],
        "languages": [],
        "source": SOURCE,
        "details": details,
    }


def _locate(
    facility: Facility, existing: t.Program | None, locator: Locator
) -> tuple[float | None, float | None, str | None]:
    """Where the facility is: its stored point when its address has not changed (no
    second geocoder call), else the locator's answer. A confidential (domestic
    violence) facility is placed by its ZIP code only."""
    if existing is not None and existing.lat is not None and existing.lon is not None:
        old = existing.details.get("hmis", {})
        if old.get("address") == facility.address:
            return existing.lat, existing.lon, old.get("located_by")
    a = facility.address
    found = locator.locate(
        address=None if facility.confidential else a.get("Address1"),
        city=None if facility.confidential else a.get("City"),
        state=a.get("State"),
        postal_code=a.get("Zip"),
    )
    if found is None:
        return None, None, None
    return found.lat, found.lon, found.method


def _organizations(session: Session, export: HmisExport) -> None:
    names = {f.organization_id: f.organization_name[:300] for f in export.facilities}
    for oid, name in sorted(names.items()):
        row = session.get(t.Organization, oid)
        if row is None:
            session.add(t.Organization(id=oid, name=name))
        elif row.name != name:
            row.name = name
            session.add(row)
    session.flush()


def _services(session: Session, program_id: str, service_types: list[str]) -> None:
    query = select(t.ProgramService).where(t.ProgramService.program_id == program_id)
    for old in session.exec(query):
        session.delete(old)
    session.flush()
    for kind in sorted(set(service_types)):
        session.add(t.ProgramService(program_id=program_id, service_type=kind))


def import_export(
    session: Session, export: HmisExport, *, locator: Locator, at: datetime
) -> ImportSummary:
    """Create or update the export's programs and report their open beds at ``at``."""
    summary = ImportSummary(skipped=list(export.skipped))
    _organizations(session, export)
    existing = {p.id: p for p in session.exec(select(t.Program).where(t.Program.source == SOURCE))}
    seen: set[str] = set()
    for facility in sorted(export.facilities, key=lambda f: f.program_id):
        pid = facility.program_id
        seen.add(pid)
        row = existing.get(pid)
        facts = _facts(facility, *_locate(facility, row, locator))
        changed = row is None or any(getattr(row, k) != v for k, v in facts.items())
        if row is None:
            row = t.Program(id=pid, **facts)
        else:
            for key, value in facts.items():
                setattr(row, key, value)
        if changed:
            session.add(row)
            session.flush()
            _services(session, pid, facts["service_types"])
        reason = f"HMIS export, {facility.beds} beds, {facility.occupied} in use on {export.day}"
        outcome = _report(session, pid, facility.open_beds, facility.waiting, at, reason)
        if pid not in existing:
            summary.created.append(pid)
        elif outcome == "stale":
            summary.stale.append(pid)
        elif changed or outcome == "recorded":
            summary.updated.append(pid)
        else:
            summary.unchanged.append(pid)
        if facts["lat"] is None:
            summary.unlocated.append(pid)
    for pid, row in sorted(existing.items()):
        if pid in seen or row.details.get("hmis", {}).get("ProjectID") not in export.project_ids:
            continue
        reason = f"HMIS export: no beds on {export.day}"
        if _report(session, pid, 0, 0, at, reason) == "recorded":
            summary.closed.append(pid)
    return summary
