"""Write an HMIS export's facilities into the store, in the caller's transaction.

Programs and organisations are keyed by HMIS ids (``hmis-<ProjectID>-<household>``,
``hmis-org-<OrganizationID>``), so importing the same export again finds them. Open
beds go in through the capacity ledger as ``reported`` events by ``hmis-import``; a
program whose numbers match the last HMIS report gets no new event, and a program
that a provider has reported on *after* the export's moment is left to that fresher
report. A program whose project is still in the export but has no beds on the day
any more is reported at zero, so nobody is matched to beds that are gone. A program
whose inventory is no vacancy count (rapid re-housing) is reported with unknown free
places: it is listed and explained, never matched to a general place.

Where an address cannot be placed (no usable ZIP code, or one that contradicts the
State), the program is put at its Continuum of Care's area: the centre of the
programs of the same ``CoCCode`` in this export that were placed. It is flagged
(``located_by: coc_area``) on the program and in the summary.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from matcher.capacity.ledger import Event, EventKind, ProgramLedger
from matcher.interop.geocode import Locator
from matcher.interop.hmis import Facility, HmisExport
from matcher.interop.summary import ImportSummary
from matcher.store import tables as t
from matcher.store.programs import ensure_organization, record_capacity, upsert_program

ACTOR = "hmis-import"
SOURCE = "hmis"


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
    session: Session,
    program_id: str,
    open_slots: int | None,
    waitlist: int,
    at: datetime,
    reason: str,
) -> str:
    """Record a report unless it repeats the last HMIS one or a newer report exists;
    returns ``unchanged``, ``stale`` or ``recorded``. Unknown free places where the
    ledger already says unknown (with the same waitlist) need no event."""
    last = _last_hmis_report(session, program_id)
    if last is not None and (last.open_slots, last.waitlist) == (open_slots, waitlist):
        return "unchanged"

    def report(state: ProgramLedger) -> list[Event]:
        if open_slots is None and (state.open_slots, state.waitlist) == (None, waitlist):
            outcome.append("unchanged")  # capacity unknown, as the ledger already says
            return []
        if state.reported_at is not None and state.reported_at > at:
            outcome.append("stale")
            return []
        outcome.append("recorded")
        return [
            Event(
                EventKind.REPORTED,
                at,
                ACTOR,
                reason=reason,
                open_slots=open_slots,
                waitlist=waitlist,
            )
        ]

    outcome: list[str] = []
    record_capacity(session, program_id, report)
    return outcome[0]


def _facts(facility: Facility, lat: float | None, lon: float | None, method: str | None) -> Any:
    details = {**facility.details, "hmis": {**facility.details["hmis"], "located_by": method}}
    return {
        "organization_id": facility.organization_id,
        "name": facility.name[:300],
        "service_types": [facility.service_type],
        "lat": lat,
        "lon": lon,
        "eligibility": facility.eligibility,
        "serves": [],
        "languages": [],
        "source": SOURCE,
        "details": details,
    }


Point = tuple[float | None, float | None, str | None]


def _locate(facility: Facility, existing: t.Program | None, locator: Locator) -> Point:
    """Where the facility is: its stored point when its address has not changed (no
    second geocoder call), else the locator's answer. A confidential (domestic
    violence) facility is placed by its ZIP code only; a ZIP code that contradicts
    the State is not used."""
    if existing is not None and existing.lat is not None and existing.lon is not None:
        old = existing.details.get("hmis", {})
        if old.get("address") == facility.address and old.get("located_by") != "coc_area":
            return existing.lat, existing.lon, old.get("located_by")
    a = facility.address
    found = locator.locate(
        address=None if facility.confidential else a.get("Address1"),
        city=None if facility.confidential else a.get("City"),
        state=a.get("State"),
        postal_code=None if "ZIPConflict" in a else a.get("ZIP"),
    )
    if found is None:
        return None, None, None
    return found.lat, found.lon, found.method


def _coc_areas(points: dict[str, Point], export: HmisExport) -> dict[str, tuple[float, float]]:
    """Each CoC's area: the centre of the export's programs in it that were placed by
    their own address or ZIP code."""
    sums: dict[str, list[float]] = {}
    for facility in export.facilities:
        lat, lon, method = points[facility.program_id]
        coc = facility.address.get("CoCCode")
        if coc and lat is not None and lon is not None and method != "coc_area":
            total = sums.setdefault(coc, [0.0, 0.0, 0.0])
            total[0] += lat
            total[1] += lon
            total[2] += 1
    return {coc: (a / n, b / n) for coc, (a, b, n) in sums.items()}


def _organizations(session: Session, export: HmisExport) -> None:
    names = {f.organization_id: f.organization_name[:300] for f in export.facilities}
    for oid, name in sorted(names.items()):
        ensure_organization(session, oid, name)
    session.flush()


def import_export(
    session: Session, export: HmisExport, *, locator: Locator, at: datetime
) -> ImportSummary:
    """Create or update the export's programs and report their open beds at ``at``."""
    summary = ImportSummary(
        format="HMIS CSV",
        version=export.info.csv_version if export.info is not None else "",
        skipped={f"{p.file}, {p.where}".rstrip(", "): p.message for p in export.skipped},
        problems=[*export.warnings, *export.skipped],
    )
    _organizations(session, export)
    existing = {p.id: p for p in session.exec(select(t.Program).where(t.Program.source == SOURCE))}
    points = {
        f.program_id: _locate(f, existing.get(f.program_id), locator) for f in export.facilities
    }
    areas = _coc_areas(points, export)
    seen: set[str] = set()
    for facility in sorted(export.facilities, key=lambda f: f.program_id):
        pid = facility.program_id
        seen.add(pid)
        point = points[pid]
        area = areas.get(facility.address.get("CoCCode", ""))
        if point[0] is None and area is not None:
            point = (*area, "coc_area")
            summary.fallback.append(pid)
        if facility.open_beds is None:
            summary.capacity_unknown.append(pid)
        facts = _facts(facility, *point)
        _, written = upsert_program(session, pid, facts)
        changed = written != "unchanged"
        reason = f"HMIS export, {facility.beds} beds, {facility.occupied} in use on {export.day}"
        if facility.open_beds is None:
            reason = f"HMIS export: {facility.details['hmis']['ProjectTypeName']} is no bed count"
        outcome = _report(session, pid, facility.open_beds, facility.waiting, at, reason)
        summary.events += outcome == "recorded"
        if written == "created":
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
            summary.events += 1
    return summary
