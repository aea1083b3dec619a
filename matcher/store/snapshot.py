"""Store <-> scenario: any live state can be replayed through ``matcher solve``.

Export reads every program's ledger *at* a moment (expired holds no longer count) and
the active participants with their plans. Import loads a scenario into an empty store:
capacity goes in as ledger events with the actor ``import``; a scenario's ``held``
places belong to referrals the store does not know, so they are imported as places
already taken (``open_slots - held``), which leaves every pool exactly as it was.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists
from sqlmodel import Session, col, func, select

from matcher.capacity.ledger import Event, EventKind, ProgramLedger
from matcher.capacity.pools import current_position
from matcher.capacity.referral import Status, steers
from matcher.languages import to_codes
from matcher.money import budget_cents, one_price_cents
from matcher.scenario import (
    Attributes,
    Barriers,
    Eligibility,
    Fund,
    Location,
    Need,
    Participant,
    Program,
    Scenario,
    StayAway,
    WaitlistPosition,
)
from matcher.store import tables as t
from matcher.store.ledger import load_many
from matcher.store.programs import ensure_organization, record_capacity, upsert_program


def program_of(row: t.Program, state: ProgramLedger, now: datetime) -> Program:
    """A stored program as the contract's ``Program``, capacity read at ``now``.

    Rows were validated on the way in and the database's constraints keep them so;
    they are not validated again here (a match reads every program of a type). Only
    located programs have a contract form: callers select them with ``LOCATED``.
    """
    if row.lat is None or row.lon is None:
        raise ValueError(f"program {row.id} has no location yet")
    return Program.model_construct(
        id=row.id,
        provider_id=row.organization_id,
        name=row.name,
        service_types=row.service_types,
        location=Location.model_construct(lat=row.lat, lon=row.lon, neighborhood=row.neighborhood),
        capacity=state.capacity_at(now),
        barriers=Barriers.model_construct(
            excludes_active_use=row.excludes_active_use,
            excludes_sex_work=row.excludes_sex_work,
            requires_religious_participation=row.requires_religious_participation,
            conversion_therapy=row.conversion_therapy,
            excludes_criminal_history=row.excludes_criminal_history,
        ),
        eligibility=Eligibility.model_construct(**row.eligibility),
        serves=row.serves,
        languages=row.languages,
    )


def participant_of(
    row: t.Participant,
    needs: Sequence[t.PlanNeed],
    declined: Mapping[str, Sequence[str]] | None = None,
) -> Participant:
    """A stored participant and plan as the contract's ``Participant``; ``declined``
    gives each need's declined programs (``declined_of``)."""
    declined = declined or {}
    return Participant(
        id=row.id,
        location=Location(lat=row.lat, lon=row.lon, neighborhood=row.neighborhood),
        attributes=Attributes.model_validate(row.attributes),
        prefers=row.prefers,
        languages=row.languages,
        max_distance_km=row.max_distance_km,
        stay_away=[StayAway.model_validate(z) for z in row.stay_away],
        avoid_programs=row.avoid_programs,
        waitlist_positions=[
            WaitlistPosition(program_id=w["program_id"], position=w["position"])
            for w in row.waitlist_positions
        ],
        needs=[
            Need(
                id=n.id,
                service_types=n.service_types,
                acute=n.acute,
                rank=n.rank,
                preferred_programs=n.preferred_programs,
                declined_programs=list(declined.get(n.id, ())),
            )
            for n in sorted(needs, key=lambda n: n.position)
        ],
    )


def plans_of(session: Session, participant_ids: Sequence[str]) -> dict[str, list[t.PlanNeed]]:
    """Each participant's plan needs (unordered; ``participant_of`` orders them)."""
    out: dict[str, list[t.PlanNeed]] = {pid: [] for pid in participant_ids}
    if participant_ids:
        query = select(t.PlanNeed).where(col(t.PlanNeed.participant_id).in_(participant_ids))
        for need in session.exec(query):
            out[need.participant_id].append(need)
    return out


def declined_of(session: Session, participant_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each need's declined programs, derived from its referral history: those the
    participant declined, and those a provider declined as the wrong fit, unless the
    case manager cleared the decline. Keyed by need id; programs sorted."""
    out: dict[str, set[str]] = {}
    if not participant_ids:
        return {}
    rows = session.exec(
        select(
            t.Referral.need_id, t.Referral.program_id, t.Referral.status, t.Referral.decline_reason
        ).where(
            col(t.Referral.participant_id).in_(participant_ids),
            col(t.Referral.status).in_([Status.WITHDRAWN.value, Status.DECLINED.value]),
            col(t.Referral.decline_cleared_at).is_(None),
        )
    )
    for need_id, program_id, status, reason in rows:
        if steers(Status(status), reason):
            out.setdefault(need_id, set()).add(program_id)
    return {k: sorted(v) for k, v in out.items()}


def available_budget_cents(session: Session, now: datetime) -> int:
    """The fund's balance less the prices that live purchase holds have reserved."""
    fund = session.get(t.Fund, 1)
    balance = fund.balance_cents if fund else 0
    reserved = session.exec(
        select(func.coalesce(func.sum(t.Referral.price_cents), 0)).where(
            t.Referral.pool == "purchase",
            col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES),
            t.Referral.expires_at > now,
        )
    ).one()
    return max(0, balance - int(reserved))


LOCATED = col(t.Program.lat).is_not(None)
"""Programs that can be matched: an imported record nobody could place is kept, not
matched, until someone gives it a location."""
MATCHABLE = and_(
    LOCATED,
    exists().where(col(t.ProgramService.program_id) == col(t.Program.id)),
)
"""Located programs with at least one service type: an imported record whose taxonomy
terms map to none of ours is kept with its terms, never matched or exported, until a
crosswalk maps them (``matcher taxonomy remap``)."""


def programs_offering(session: Session, service_types: Collection[str]) -> list[str]:
    """Ids of the located programs that offer any of ``service_types``."""
    if not service_types:
        return []
    query = (
        select(t.ProgramService.program_id)
        .join(t.Program, col(t.Program.id) == t.ProgramService.program_id)
        .where(col(t.ProgramService.service_type).in_(sorted(set(service_types))), LOCATED)
        .distinct()
    )
    return sorted(session.exec(query))


def export_scenario(
    session: Session,
    now: datetime,
    *,
    participant_ids: Sequence[str] | None = None,
    case_manager_id: str | None = None,
    service_types: Collection[str] | None = None,
) -> Scenario:
    """The store at ``now`` as a scenario: all located programs (or those offering any
    of ``service_types``); active participants (all, the ones named, or one case
    manager's)."""
    program_query = select(t.Program).where(MATCHABLE).order_by(col(t.Program.id))
    program_ids: list[str] | None = None
    if service_types is not None:
        program_ids = programs_offering(session, service_types)
        program_query = program_query.where(col(t.Program.id).in_(program_ids))
    ledgers = load_many(session, program_ids)
    programs = [
        program_of(row, ledgers[row.id].state if row.id in ledgers else ProgramLedger(), now)
        for row in session.exec(program_query)
    ]
    query = select(t.Participant).where(col(t.Participant.active)).order_by(col(t.Participant.id))
    if participant_ids is not None:
        query = query.where(col(t.Participant.id).in_(participant_ids))
    if case_manager_id is not None:
        query = query.where(t.Participant.case_manager_id == case_manager_id)
    rows = list(session.exec(query))
    plans = plans_of(session, [r.id for r in rows])
    declined = declined_of(session, [r.id for r in rows])
    people = [participant_of(r, plans[r.id], declined) for r in rows]
    return Scenario(
        as_of=now,
        fund=Fund(budget=available_budget_cents(session, now) / 100),
        programs=programs,
        participants=[with_current_positions(p, programs) for p in people],
    )


def with_current_positions(person: Participant, programs: Sequence[Program]) -> Participant:
    """The participant's recorded waitlist positions read against the programs'
    waitlists now (``current_position``); positions at programs not among ``programs``
    or whose waitlist is empty are left out, so the scenario stays valid."""
    return at_waitlists(person, {g.id: g.capacity.waitlist for g in programs})


def at_waitlists(person: Participant, waitlist: Mapping[str, int]) -> Participant:
    """``with_current_positions`` given each program's waitlist length by id."""
    kept = []
    for entry in person.waitlist_positions:
        if entry.program_id not in waitlist:
            continue
        position = current_position(entry.position, waitlist[entry.program_id])
        if position is not None:
            kept.append(WaitlistPosition(program_id=entry.program_id, position=position))
    if kept == person.waitlist_positions:
        return person
    return person.model_copy(update={"waitlist_positions": kept})


class StoreNotEmpty(RuntimeError):
    """Import goes into an empty store only: merging would rewrite live capacity."""


def import_scenario(
    session: Session, scenario: Scenario, now: datetime, *, case_manager_id: str = "unassigned"
) -> None:
    """Load ``scenario`` into an empty store, in the caller's transaction."""
    if session.exec(select(t.Program.id).limit(1)).first() is not None:
        raise StoreNotEmpty("the store already holds programs; import into an empty database")
    at = scenario.as_of or now
    for provider_id in sorted({p.provider_id for p in scenario.programs}):
        ensure_organization(session, provider_id, provider_id)
    for program in scenario.programs:
        add_program(session, program, at)
    for participant in scenario.participants:
        add_participant(session, participant, case_manager_id, at)
    session.add(t.Fund(id=1, balance_cents=budget_cents(scenario.fund.budget)))


def add_program(session: Session, program: Program, at: datetime, actor: str = "import") -> None:
    """Store a program and record its starting capacity as ledger events by ``actor``."""
    upsert_program(session, program.id, program_columns(program))
    record_capacity(session, program.id, lambda _: starting_capacity(program, at, actor))


def starting_capacity(program: Program, at: datetime, actor: str) -> list[Event]:
    """The ledger events that give a new program the capacity ``program`` states."""
    cap = program.capacity
    events: list[Event] = []
    if cap.open_slots is not None or cap.waitlist:
        events.append(
            Event(
                EventKind.REPORTED,
                cap.updated or at,
                actor,
                reason=f"imported; {cap.held} held place(s) counted as taken" if cap.held else "",
                open_slots=None if cap.open_slots is None else cap.open_slots - cap.held,
                waitlist=cap.waitlist,
            )
        )
    if cap.purchasable or cap.price:
        events.append(
            Event(
                EventKind.PURCHASABLE_SET,
                at,
                actor,
                places=cap.purchasable,
                price_cents=one_price_cents(cap.price),
            )
        )
    if cap.lead_reserved_open:
        events.append(Event(EventKind.RESERVED_SET, at, actor, places=cap.lead_reserved_open))
    return events


def program_columns(program: Program) -> dict[str, Any]:
    """A contract program's facts (not its capacity) as the program table's column
    values; languages as standard codes (``matcher.languages``)."""
    return {
        "organization_id": program.provider_id,
        "name": program.name,
        "service_types": program.service_types,
        "lat": program.location.lat,
        "lon": program.location.lon,
        "neighborhood": program.location.neighborhood,
        **program.barriers.model_dump(),
        "eligibility": program.eligibility.model_dump(mode="json", exclude_none=True),
        "serves": program.serves,
        "languages": to_codes(program.languages),
    }


def add_participant(
    session: Session, participant: Participant, case_manager_id: str, at: datetime
) -> t.Participant:
    """Store a participant and their plan (the caller checked the id is new)."""
    row = t.Participant(
        id=participant.id,
        case_manager_id=case_manager_id,
        active=True,
        lat=participant.location.lat,
        lon=participant.location.lon,
        created_at=at,
        updated_at=at,
    )
    write_participant(row, participant)
    # Waitlist positions change on their own (``participants.set_waitlists``), never
    # with the attributes: an update of the profile keeps them.
    row.waitlist_positions = positions_json(participant.waitlist_positions, at)
    session.add(row)
    session.flush()
    write_plan(session, participant.id, participant.needs, at)
    return row


def write_participant(row: t.Participant, participant: Participant) -> None:
    """Copy a participant's attributes (not the plan) onto its row; languages are stored
    as standard codes (``matcher.languages``)."""
    row.lat = participant.location.lat
    row.lon = participant.location.lon
    row.neighborhood = participant.location.neighborhood
    row.attributes = participant.attributes.model_dump(mode="json", exclude_none=True)
    row.prefers = participant.prefers
    row.languages = to_codes(participant.languages)
    row.max_distance_km = participant.max_distance_km
    row.stay_away = [z.model_dump(mode="json") for z in participant.stay_away]
    row.avoid_programs = participant.avoid_programs


def positions_json(
    positions: Sequence[WaitlistPosition], recorded_at: datetime
) -> list[dict[str, Any]]:
    """Waitlist positions as stored on the participant row, with when they were recorded."""
    at = recorded_at.isoformat()
    return [
        {"program_id": w.program_id, "position": w.position, "recorded_at": at} for w in positions
    ]


def write_plan(session: Session, participant_id: str, needs: Sequence[Need], now: datetime) -> None:
    """Replace a participant's plan with ``needs``, in the participant's own order. A
    need kept from the old plan keeps the time it began waiting; a new one waits from
    ``now``."""
    since: dict[str, datetime | None] = {}
    for old in session.exec(select(t.PlanNeed).where(t.PlanNeed.participant_id == participant_id)):
        since[old.id] = old.waiting_since
        session.delete(old)
    session.flush()
    for position, need in enumerate(needs):
        session.add(
            t.PlanNeed(
                id=need.id,
                participant_id=participant_id,
                position=position,
                service_types=need.service_types,
                acute=need.acute,
                rank=need.rank,
                preferred_programs=need.preferred_programs,
                waiting_since=since.get(need.id) or now,
            )
        )
        if need.id not in since:  # a need entered the queue: it is re-solved for it
            session.add(t.CapacitySignal(need_id=need.id, kind="need_added", at=now))
