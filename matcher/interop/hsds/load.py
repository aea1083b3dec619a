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
from matcher.store.programs import (
    add_capacity_row,
    ensure_organization,
    record_capacity,
    upsert_program,
)
from matcher.store.snapshot import program_columns

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


UNMAPPED_STAND_IN = "unmapped"
"""Validates an unmapped draft (the contract wants a service type), then is removed."""


def contract_program(draft: Draft) -> Program:
    """The draft as the contract's program (validated). An unlocated draft is given a
    stand-in point that ``columns`` replaces with no location; an unmapped one (no
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


def columns(draft: Draft, program: Program) -> dict[str, Any]:
    """The draft's facts as the program table's column values: the contract program's,
    with the draft's own location (or none), description and source fields."""
    return {
        **program_columns(program),
        "lat": draft.lat,
        "lon": draft.lon,
        "neighborhood": draft.neighborhood,
        "description": draft.description,
        "details": draft.details,
    }


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
    return record_capacity(
        session, draft.program_id, lambda state: _capacity_events(state, draft, now)
    )


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
        values = columns(draft, program)
        if session.get(t.Program, draft.program_id) is None:
            values["source"] = SOURCE
        _, outcome = upsert_program(session, draft.program_id, values)
        events = _record_capacity(session, draft, now, new=outcome == "created")
        out.events += events
        if draft.lat is None:
            out.unlocated.append(draft.program_id)
        if outcome == "created":
            out.created.append(draft.program_id)
        elif outcome == "updated" or events:
            out.updated.append(draft.program_id)
        else:
            out.unchanged.append(draft.program_id)
    return out
