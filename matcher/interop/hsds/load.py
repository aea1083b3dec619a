"""Write mapped HSDS programs into the store, in the caller's transaction.

Keyed by HSDS ids, so importing the same feed twice changes nothing: a program whose
facts are equal is left alone, and capacity is recorded through the ledger only when
its numbers differ from the ledger's (actor ``hsds-import``). A feed never lowers what
it does not state: without a ``service_capacity`` a new program's free places are
unknown (no general places until a provider reports) and an existing program's report
stands; profile values the feed leaves out are left as they are. Programs that a
later feed no longer lists are kept (participants may hold places there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from matcher.capacity.ledger import Event, EventKind, ProgramLedger
from matcher.interop.hsds.mapping import Draft
from matcher.interop.hsds.problems import Problem
from matcher.languages import to_codes
from matcher.money import one_price_cents
from matcher.scenario import Barriers, Eligibility, Location, Program
from matcher.store import tables as t
from matcher.store.ledger import Loaded, load, record
from matcher.store.programs import add_capacity_row, ensure_organization
from matcher.store.snapshot import write_program

ACTOR = "hsds-import"
SOURCE = "hsds"


@dataclass
class Written:
    """What the store now holds of the feed's programs."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    unlocated: list[str] = field(default_factory=list)
    events: int = 0
    problems: list[Problem] = field(default_factory=list)


def _facts(row: t.Program) -> dict[str, Any]:
    return {
        "organization_id": row.organization_id,
        "name": row.name,
        "service_types": row.service_types,
        "lat": row.lat,
        "lon": row.lon,
        "neighborhood": row.neighborhood,
        "excludes_active_use": row.excludes_active_use,
        "excludes_sex_work": row.excludes_sex_work,
        "requires_religious_participation": row.requires_religious_participation,
        "conversion_therapy": row.conversion_therapy,
        "excludes_criminal_history": row.excludes_criminal_history,
        "eligibility": row.eligibility,
        "serves": row.serves,
        "languages": row.languages,
        "description": row.description,
        "details": row.details,
    }


UNMAPPED_STAND_IN = "unmapped"
"""Validates an unmapped draft (the contract wants a service type), then is removed."""


def contract_program(draft: Draft) -> Program:
    """The draft as the contract's program (validated). An unlocated draft is given a
    stand-in point that ``write_facts`` replaces with no location; an unmapped one (no
    service type) is checked with a stand-in type and stored with none, so it is
    never matched or exported as a scenario program."""
    program = Program(
        id=draft.program_id,
        provider_id=draft.organization_id,
        name=draft.name,
        service_types=draft.service_types or [UNMAPPED_STAND_IN],
        location=Location(
            lat=draft.lat if draft.lat is not None else 0.0,
            lon=draft.lon if draft.lon is not None else 0.0,
            neighborhood=draft.neighborhood,
        ),
        barriers=Barriers(**draft.barriers),
        eligibility=Eligibility(**draft.eligibility),
        serves=draft.serves,
        languages=to_codes(draft.languages),
    )
    if draft.service_types:
        return program
    return program.model_copy(update={"service_types": []})


def write_facts(session: Session, row: t.Program, draft: Draft, program: Program) -> None:
    """The draft's facts onto ``row`` through the store's one program writer."""
    write_program(session, row, program)
    row.lat, row.lon = draft.lat, draft.lon
    row.description = draft.description
    row.details = draft.details
    session.add(row)


def _organization(session: Session, draft: Draft) -> None:
    ensure_organization(session, draft.organization_id, draft.organization_name)


def _capacity_events(state: ProgramLedger, draft: Draft, now: datetime) -> list[Event]:
    cap = draft.capacity
    events: list[Event] = []
    if cap.reported:
        waitlist = cap.waitlist if cap.waitlist is not None else state.waitlist
        at = cap.updated or now
        newer = state.reported_at is None or at >= state.reported_at
        if newer and (cap.open_slots, waitlist) != (state.open_slots, state.waitlist):
            events.append(
                Event(EventKind.REPORTED, at, ACTOR, open_slots=cap.open_slots, waitlist=waitlist)
            )
    elif cap.waitlist is not None and state.open_slots is None and cap.waitlist != state.waitlist:
        # Only the waitlist is known: free places stay unknown. Over a provider's report
        # the waitlist alone is not recorded (a report resets this system's enrolments).
        events.append(Event(EventKind.REPORTED, now, ACTOR, waitlist=cap.waitlist))
    if cap.purchasable is not None or cap.price is not None:
        places = cap.purchasable if cap.purchasable is not None else state.purchasable
        price = one_price_cents(cap.price) if cap.price is not None else state.price_cents
        if (places, price) != (state.purchasable, state.price_cents):
            events.append(
                Event(EventKind.PURCHASABLE_SET, now, ACTOR, places=places, price_cents=price)
            )
    if cap.lead_reserved is not None and cap.lead_reserved != state.lead_reserved:
        events.append(Event(EventKind.RESERVED_SET, now, ACTOR, places=cap.lead_reserved))
    return events


def _record_capacity(session: Session, draft: Draft, now: datetime, *, new: bool) -> int:
    cap = draft.capacity
    said = (cap.waitlist, cap.purchasable, cap.price, cap.lead_reserved)
    if not cap.reported and all(value is None for value in said):
        # The feed says nothing of capacity: no event could follow, so the ledger is
        # not read (a county feed of older HSDS has thousands of such services).
        if new:
            add_capacity_row(session, draft.program_id)
        return 0
    loaded = load(session, draft.program_id, lock=True)
    if loaded is None:
        loaded = Loaded(add_capacity_row(session, draft.program_id), ProgramLedger())
    events = _capacity_events(loaded.state, draft, now)
    for event in events:
        loaded = record(session, loaded, draft.program_id, event)
    return len(events)


def write_drafts(session: Session, drafts: list[Draft], now: datetime) -> Written:
    """Store every draft (see the module docstring); the caller commits or rolls back."""
    out = Written()
    for draft in drafts:
        try:
            program = contract_program(draft)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            out.refused[draft.program_id] = f"{where}: {first['msg']}"
            out.problems.append(
                Problem("(feed)", f"service {draft.program_id}", where, "contract", first["msg"])
            )
            continue
        _organization(session, draft)
        row = session.get(t.Program, draft.program_id)
        if row is None:
            row = t.Program(id=draft.program_id, organization_id=draft.organization_id)
            row.source = SOURCE
            write_facts(session, row, draft, program)
            session.flush()
            out.created.append(draft.program_id)
            changed = True
        else:
            before = _facts(row)
            row.organization_id = draft.organization_id
            probe = dict(before)
            probe.update(
                organization_id=draft.organization_id,
                name=program.name,
                service_types=program.service_types,
                lat=draft.lat,
                lon=draft.lon,
                neighborhood=draft.neighborhood,
                **program.barriers.model_dump(),
                eligibility=program.eligibility.model_dump(mode="json", exclude_none=True),
                serves=program.serves,
                languages=program.languages,
                description=draft.description,
                details=draft.details,
            )
            changed = probe != before
            if changed:
                write_facts(session, row, draft, program)
        events = _record_capacity(session, draft, now, new=draft.program_id in out.created)
        out.events += events
        if draft.lat is None:
            out.unlocated.append(draft.program_id)
        if draft.program_id in out.created:
            continue
        (out.updated if changed or events else out.unchanged).append(draft.program_id)
    return out
