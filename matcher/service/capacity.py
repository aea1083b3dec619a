"""Providers' capacity: see own programs, report open places and waitlist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from matcher.capacity.ledger import Event, EventKind, LedgerError
from matcher.capacity.pools import unused_places
from matcher.service.audit import note
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.store import tables as t
from matcher.store.ledger import Loaded, load, load_many, record


@dataclass(frozen=True, slots=True)
class HoldView:
    """A place held at a program: which referral, in which state, until when."""

    referral_id: str
    status: str
    pool: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ProgramView:
    """A program's capacity as its provider sees it now."""

    program_id: str
    name: str | None
    service_types: list[str]
    open_slots: int | None
    waitlist: int
    held: int
    unused: int
    lead_reserved_open: int
    purchasable: int
    price: float
    reported_at: datetime | None
    version: int
    holds: list[HoldView]


def view_of(
    program: t.Program, loaded: Loaded, statuses: dict[str, str], now: datetime
) -> ProgramView:
    """What the ledger says about ``program`` at ``now``."""
    cap = loaded.state.capacity_at(now)
    holds = sorted(loaded.state.active_holds(now), key=lambda h: h.expires_at)
    return ProgramView(
        program_id=program.id,
        name=program.name,
        service_types=program.service_types,
        open_slots=cap.open_slots,
        waitlist=loaded.state.waitlist,  # the provider's own count, turns held included
        held=cap.held,
        unused=unused_places(cap),
        lead_reserved_open=cap.lead_reserved_open,
        purchasable=cap.purchasable,
        price=cap.price,
        reported_at=cap.updated,
        version=loaded.row.report_version,
        holds=[
            HoldView(h.hold_id, statuses.get(h.hold_id, "held"), h.pool, h.expires_at)
            for h in holds
        ],
    )


def _statuses(
    session: Session, program_ids: list[str], *, any_holds: bool = True
) -> dict[str, str]:
    if not program_ids or not any_holds:
        return {}
    rows = session.exec(
        select(t.Referral.id, t.Referral.status).where(
            col(t.Referral.program_id).in_(program_ids),
            col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES),
        )
    )
    return dict(rows.all())


def own_program(session: Session, organization_id: str, program_id: str) -> t.Program:
    """A program of this organisation, or NotFound (another's program looks missing)."""
    program = session.get(t.Program, program_id)
    if program is None or program.organization_id != organization_id:
        raise NotFound(f"no program {program_id}", field="program_id")
    return program


def list_programs(session: Session, organization_id: str, now: datetime) -> list[ProgramView]:
    """An organisation's programs with their capacity now."""
    if session.get(t.Organization, organization_id) is None:
        raise NotFound(f"no organization {organization_id}", field="organization_id")
    programs = list(
        session.exec(
            select(t.Program)
            .where(t.Program.organization_id == organization_id)
            .order_by(col(t.Program.id))
        )
    )
    ids = [p.id for p in programs]
    ledgers = load_many(session, ids)
    statuses = _statuses(session, ids)
    return [view_of(p, ledgers[p.id], statuses, now) for p in programs if p.id in ledgers]


def get_program(
    session: Session, organization_id: str, program_id: str, now: datetime
) -> ProgramView:
    """One of the organisation's programs with its capacity now."""
    program = own_program(session, organization_id, program_id)
    loaded = load(session, program.id)
    if loaded is None:
        raise NotFound(f"no program {program_id}", field="program_id")
    return view_of(program, loaded, _statuses(session, [program.id]), now)


def report_capacity(
    session: Session,
    organization_id: str,
    program_id: str,
    *,
    open_slots: int,
    waitlist: int,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
    reason: str = "",
) -> ProgramView:
    """Record a provider's report: ``open_slots`` free places (places held for pending
    referrals included) and ``waitlist`` people waiting. With ``expected_version``, a
    report made from a stale view is refused (409) instead of overwriting newer data.
    The version counts the provider's own reports: holds and releases made by case
    managers in between do not make the provider's form stale."""
    note(session, "capacity.report", program_id=program_id)
    for name, value in (("open_slots", open_slots), ("waitlist", waitlist)):
        if value < 0:
            raise Invalid("non_negative", f"{name} must be >= 0", field=name)
    program = own_program(session, organization_id, program_id)
    loaded = load(session, program.id, lock=True)
    if loaded is None:
        raise NotFound(f"no program {program_id}", field="program_id")
    if expected_version is not None and expected_version != loaded.row.report_version:
        current = view_of(program, loaded, _statuses(session, [program.id]), now)
        raise Conflict(
            "stale_version",
            f"the program's report changed since version {expected_version}; it is now at "
            f"version {loaded.row.report_version}",
            field="If-Match",
            current=current,
        )
    event = Event(
        EventKind.REPORTED, now, actor, reason=reason, open_slots=open_slots, waitlist=waitlist
    )
    try:
        loaded = record(session, loaded, program.id, event)
    except LedgerError as err:
        raise Invalid(err.rule, err.message) from err
    session.flush()
    statuses = _statuses(session, [program.id], any_holds=bool(loaded.state.holds))
    return view_of(program, loaded, statuses, now)


def still_correct(
    session: Session,
    organization_id: str,
    program_id: str,
    *,
    actor: str,
    now: datetime,
    expected_version: int,
) -> ProgramView:
    """Re-record the program's current numbers as a new report: the provider says they
    are still right without retyping them. Refused like any report made from a stale
    view (409 ``stale_version``), and when nothing was ever reported (422)."""
    current = get_program(session, organization_id, program_id, now)
    if current.open_slots is None:
        raise Invalid("not_reported", "report the program's open places first", field="open_slots")
    return report_capacity(
        session,
        organization_id,
        program_id,
        open_slots=current.open_slots,
        waitlist=current.waitlist,
        actor=actor,
        now=now,
        expected_version=expected_version,
        reason="still correct",
    )


def is_stale(view: ProgramView, now: datetime, fresh_for: timedelta) -> bool:
    """Whether the program's last report is older than ``fresh_for`` (or missing)."""
    return view.reported_at is None or now - view.reported_at > fresh_for
