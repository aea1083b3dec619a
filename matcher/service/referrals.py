"""Holds and referrals: hold a place, confirm, decline, release, enrol, end.

A referral starts as a *hold* on one place for one need. The case manager confirms
it (the provider now sees it) or lets it go; the provider enrols or declines it;
a placement ends later. Every step that changes capacity goes through the ledger
inside the same transaction as the referral row, with the program's row locked, so
two requests for the last place cannot both succeed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from matcher.capacity.ledger import Event, EventKind, LedgerError, expired
from matcher.capacity.pools import POOL_NAMES, PoolName
from matcher.rules.arcs import evaluate_pairs
from matcher.rules.registry import RULES
from matcher.rules.tables import build_tables
from matcher.scenario import Fund, Scenario, category_of
from matcher.service import consent
from matcher.service.capacity import own_program
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.service.participants import own as own_participant
from matcher.store import tables as t
from matcher.store.ledger import Loaded, load, record
from matcher.store.snapshot import available_budget_cents, participant_of, plans_of, program_of

DECLINE_REASONS = (
    "no_capacity",
    "not_eligible",
    "participant_unreachable",
    "participant_declined",
    "safety_concern",
    "other",
)
END_REASONS = ("completed", "left", "moved_on", "transferred", "other")


@dataclass(frozen=True, slots=True)
class ReferralView:
    """A referral as case managers and providers see it (no participant attributes)."""

    referral_id: str
    program_id: str
    participant_id: str
    need_id: str
    service_types: list[str]
    pool: str
    status: str
    price: float
    created_at: datetime
    expires_at: datetime
    decline_reason: str | None
    facts: dict[str, Any] = field(default_factory=dict)
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One step of a referral's history."""

    status: str
    at: datetime
    actor: str
    reason: str | None


def _view(session: Session, r: t.Referral) -> ReferralView:
    need = session.get(t.PlanNeed, r.need_id)
    return ReferralView(
        referral_id=r.id,
        program_id=r.program_id,
        participant_id=r.participant_id,
        need_id=r.need_id,
        service_types=need.service_types if need else [],
        pool=r.pool,
        status=r.status,
        price=r.price_cents / 100,
        created_at=r.created_at,
        expires_at=r.expires_at,
        decline_reason=r.decline_reason,
    )


def _set_status(
    session: Session,
    r: t.Referral,
    status: str,
    now: datetime,
    actor: str,
    reason: str | None = None,
) -> None:
    r.status = status
    r.updated_at = now
    session.add(r)
    session.add(
        t.ReferralEvent(referral_id=r.id, status=status, at=now, actor=actor, reason=reason)
    )


def _locked(session: Session, program_id: str, now: datetime) -> Loaded:
    """The program's ledger under its row lock, with overdue holds recorded as expired."""
    return _lock_and_expire(session, program_id, now)[0]


def _lock_and_expire(session: Session, program_id: str, now: datetime) -> tuple[Loaded, int]:
    """As ``_locked``, also saying how many expiries it recorded."""
    loaded = load(session, program_id, lock=True)
    if loaded is None:
        raise NotFound(f"no program {program_id}", field="program_id")
    overdue = sorted(expired(loaded.state, now), key=lambda h: h.hold_id)
    for hold in overdue:
        event = Event(EventKind.HOLD_EXPIRED, now, "system", reason="ttl", hold_id=hold.hold_id)
        loaded = record(session, loaded, program_id, event)
        referral = session.get(t.Referral, hold.hold_id)
        if referral is not None:
            _set_status(session, referral, "expired", now, "system", "ttl")
    session.flush()
    return loaded, len(overdue)


def _check_rules(
    session: Session,
    participant: t.Participant,
    program: t.Program,
    loaded: Loaded,
    need_id: str,
    now: datetime,
) -> None:
    """Refuse a hold that breaks a hard rule: the same rules the solver obeys."""
    plans = plans_of(session, [participant.id])
    person = participant_of(participant, plans[participant.id])
    if need_id not in {n.id for n in person.needs}:
        raise NotFound(f"no need {need_id} in this participant's plan", field="need_id")
    person = person.model_copy(update={"needs": [n for n in person.needs if n.id == need_id]})
    if program.lat is None:
        raise Conflict("unlocated", f"program {program.id} has no location yet", field="program_id")
    scenario = Scenario(
        programs=[program_of(program, loaded.state, now)], participants=[person], fund=Fund()
    )
    pairs = evaluate_pairs(build_tables(scenario), reach=False)
    if len(pairs.need) == 0:
        raise Invalid(
            "service",
            f"program {program.id} offers none of the need's service types",
            field="program_id",
        )
    code = int(pairs.broken[0])
    if code:
        rule = RULES[code - 1]
        raise Invalid(rule.name, f"program {program.id} {rule.one}", field="program_id")


def place_hold(
    session: Session,
    case_manager_id: str,
    *,
    participant_id: str,
    need_id: str,
    program_id: str,
    pool: str,
    now: datetime,
    ttl: timedelta,
) -> ReferralView:
    """Hold one place of ``pool`` at ``program_id`` for a need: 409 when no place is
    free for it without bumping someone waiting, or the fund cannot pay for it."""
    if pool not in POOL_NAMES:
        raise Invalid("enum", f"pool must be one of {', '.join(POOL_NAMES)}", field="pool")
    participant = own_participant(session, case_manager_id, participant_id)
    if not participant.active:
        raise Conflict("inactive", "the participant is inactive", field="participant_id")
    program = session.get(t.Program, program_id)
    if program is None:
        raise NotFound(f"no program {program_id}", field="program_id")
    loaded = _locked(session, program_id, now)
    _check_rules(session, participant, program, loaded, need_id, now)
    open_for_need = session.exec(
        select(t.Referral.id).where(
            t.Referral.need_id == need_id, col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES)
        )
    ).first()
    if open_for_need is not None:
        raise Conflict(
            "need_already_held",
            f"need {need_id} already has an open referral {open_for_need}",
            field="need_id",
        )
    chosen: PoolName = pool
    price = 0
    if chosen == "purchase":
        if any(
            (
                program.excludes_active_use,
                program.excludes_sex_work,
                program.requires_religious_participation,
                program.conversion_therapy,
                program.excludes_criminal_history,
            )
        ):
            raise Invalid(
                "not_fundable",
                "LEAD funds buy places only at programs that exclude nobody",
                field="pool",
            )
        fund = session.exec(select(t.Fund).where(t.Fund.id == 1).with_for_update()).first()
        price = loaded.state.price_cents
        if fund is None or available_budget_cents(session, now) < price:
            raise Conflict("budget", "the fund cannot pay for this place now", field="pool")
    referral_id = uuid.uuid4().hex
    event = Event(
        EventKind.HOLD_PLACED,
        now,
        case_manager_id,
        hold_id=referral_id,
        pool=chosen,
        expires_at=now + ttl,
    )
    try:
        record(session, loaded, program_id, event)
    except LedgerError as err:
        raise Conflict(err.rule, err.message, field="program_id") from err
    referral = t.Referral(
        id=referral_id,
        program_id=program_id,
        participant_id=participant_id,
        need_id=need_id,
        case_manager_id=case_manager_id,
        pool=chosen,
        status="held",
        price_cents=price,
        created_at=now,
        updated_at=now,
        expires_at=now + ttl,
    )
    session.add(referral)
    session.add(
        t.ReferralEvent(referral_id=referral_id, status="held", at=now, actor=case_manager_id)
    )
    session.flush()
    return _view(session, referral)


def _cm_referral(session: Session, case_manager_id: str, referral_id: str) -> t.Referral:
    r = session.get(t.Referral, referral_id)
    if r is None or r.case_manager_id != case_manager_id:
        raise NotFound(f"no referral {referral_id}", field="referral_id")
    return r


def _org_referral(session: Session, organization_id: str, referral_id: str) -> t.Referral:
    r = session.get(t.Referral, referral_id)
    if r is None or r.status == "held":  # providers see referrals once confirmed
        raise NotFound(f"no referral {referral_id}", field="referral_id")
    own_program(session, organization_id, r.program_id)  # NotFound for another's
    return r


def _transition(
    session: Session,
    r: t.Referral,
    *,
    allowed: tuple[str, ...],
    status: str,
    kind: EventKind | None,
    actor: str,
    now: datetime,
    reason: str | None = None,
    expires_at: datetime | None = None,
) -> ReferralView:
    loaded = _locked(session, r.program_id, now)
    session.refresh(r)  # read again under the lock: another request may have acted
    if r.status not in allowed:
        raise Conflict(
            "status",
            f"the referral is {r.status}; this needs it to be {' or '.join(allowed)}",
            field="status",
        )
    if kind is not None:
        pool: PoolName = r.pool  # type: ignore[assignment]
        event = Event(
            kind, now, actor, reason=reason or "", hold_id=r.id, pool=pool, expires_at=expires_at
        )
        try:
            record(session, loaded, r.program_id, event)
        except LedgerError as err:
            raise Conflict(err.rule, err.message) from err
    if expires_at is not None:
        r.expires_at = expires_at
    if status == "declined":
        r.decline_reason = reason
    _set_status(session, r, status, now, actor, reason)
    session.flush()
    return _view(session, r)


def _category(session: Session, r: t.Referral) -> str:
    need = session.get(t.PlanNeed, r.need_id)
    return category_of(need.service_types[0]) if need else ""


def confirm_with_consent(
    session: Session, case_manager_id: str, referral_id: str, now: datetime, ttl: timedelta
) -> ReferralView:
    """The participant takes the option and, at the same time, consents to the program
    receiving what this referral's category needs: one transaction, so a refused
    confirmation leaves no consent behind."""
    r = _cm_referral(session, case_manager_id, referral_id)
    consent.grant(
        session,
        case_manager_id,
        r.participant_id,
        recipient_type="program",
        recipient_id=r.program_id,
        categories=[_category(session, r)],
        starts_at=now,
        ends_at=None,
        now=now,
    )
    return confirm(session, case_manager_id, referral_id, now, ttl)


def confirm(
    session: Session, case_manager_id: str, referral_id: str, now: datetime, ttl: timedelta
) -> ReferralView:
    """The participant takes the option: the hold becomes a referral the provider sees.
    Refused (409 ``consent_required``) without a valid consent for that recipient."""
    r = _cm_referral(session, case_manager_id, referral_id)
    program = session.get(t.Program, r.program_id)
    if r.status == "held" and r.expires_at > now and program is not None:
        consent.disclose(session, r, program, _category(session, r), case_manager_id, now)
    return _transition(
        session,
        r,
        allowed=("held",),
        status="referred",
        kind=EventKind.REFERRAL_CONFIRMED,
        actor=case_manager_id,
        now=now,
        expires_at=now + ttl,
    )


def withdraw(
    session: Session, case_manager_id: str, referral_id: str, now: datetime
) -> ReferralView:
    """The participant declines the option. Nothing counts against them later."""
    r = _cm_referral(session, case_manager_id, referral_id)
    return _transition(
        session,
        r,
        allowed=t.OPEN_REFERRAL_STATUSES,
        status="withdrawn",
        kind=EventKind.HOLD_RELEASED,
        actor=case_manager_id,
        now=now,
        reason="participant_declined",
    )


def release(
    session: Session, case_manager_id: str, referral_id: str, now: datetime
) -> ReferralView:
    """The case manager lets the held place go."""
    r = _cm_referral(session, case_manager_id, referral_id)
    return _transition(
        session,
        r,
        allowed=t.OPEN_REFERRAL_STATUSES,
        status="released",
        kind=EventKind.HOLD_RELEASED,
        actor=case_manager_id,
        now=now,
        reason="released",
    )


def enrol(
    session: Session, organization_id: str, referral_id: str, actor: str, now: datetime
) -> ReferralView:
    """The provider accepts the referral: the place is filled (and, if bought, paid)."""
    r = _org_referral(session, organization_id, referral_id)
    view = _transition(
        session,
        r,
        allowed=("referred",),
        status="enrolled",
        kind=EventKind.ENROLLED,
        actor=actor,
        now=now,
    )
    if r.pool == "purchase":
        fund = session.exec(select(t.Fund).where(t.Fund.id == 1).with_for_update()).one()
        fund.balance_cents -= r.price_cents
        fund.version += 1
        session.add(fund)
        session.add(
            t.Purchase(
                program_id=r.program_id,
                referral_id=r.id,
                places=1,
                price_cents=r.price_cents,
                at=now,
                actor=actor,
            )
        )
        session.flush()
    return view


def decline(
    session: Session, organization_id: str, referral_id: str, reason: str, actor: str, now: datetime
) -> ReferralView:
    """The provider declines the referral with a structured reason; the place is freed."""
    if reason not in DECLINE_REASONS:
        raise Invalid("enum", f"reason must be one of {', '.join(DECLINE_REASONS)}", field="reason")
    r = _org_referral(session, organization_id, referral_id)
    return _transition(
        session,
        r,
        allowed=("referred",),
        status="declined",
        kind=EventKind.HOLD_RELEASED,
        actor=actor,
        now=now,
        reason=reason,
    )


def end_placement(
    session: Session, organization_id: str, referral_id: str, reason: str, actor: str, now: datetime
) -> ReferralView:
    """A placement ended: its place is free again until the provider's next report."""
    if reason not in END_REASONS:
        raise Invalid("enum", f"reason must be one of {', '.join(END_REASONS)}", field="reason")
    r = _org_referral(session, organization_id, referral_id)
    return _transition(
        session,
        r,
        allowed=("enrolled",),
        status="ended",
        kind=EventKind.PLACEMENT_ENDED,
        actor=actor,
        now=now,
        reason=reason,
    )


def incoming(
    session: Session, organization_id: str, now: datetime, status: str | None = None
) -> list[ReferralView]:
    """Referrals sent to the organisation's programs (confirmed ones and later)."""
    programs = select(t.Program.id).where(t.Program.organization_id == organization_id)
    query = select(t.Referral).where(
        col(t.Referral.program_id).in_(programs), t.Referral.status != "held"
    )
    if status is not None:
        query = query.where(t.Referral.status == status)
    rows = session.exec(query.order_by(col(t.Referral.created_at), col(t.Referral.id)))
    return [
        _for_provider(session, r, now) for r in rows if r.status != "referred" or r.expires_at > now
    ]


def _for_provider(session: Session, r: t.Referral, now: datetime) -> ReferralView:
    """The minimum a provider may see, and only while a consent covers it."""
    view = _view(session, r)
    program = session.get(t.Program, r.program_id)
    participant = session.get(t.Participant, r.participant_id)
    category = _category(session, r)
    valid = program is not None and consent.valid_consent(
        session, r.participant_id, program, category, now
    )
    if not valid or program is None or participant is None:
        return replace(view, participant_id="withheld", need_id="withheld", service_types=[])
    notice = consent.REDISCLOSURE_NOTICE if category == consent.SUBSTANCE_USE else None
    return replace(view, facts=consent.minimum(program, participant), notice=notice)


def case_manager_referrals(
    session: Session, case_manager_id: str, participant_id: str | None = None
) -> list[ReferralView]:
    """A case manager's referrals, optionally for one participant."""
    query = select(t.Referral).where(t.Referral.case_manager_id == case_manager_id)
    if participant_id is not None:
        query = query.where(t.Referral.participant_id == participant_id)
    rows = session.exec(query.order_by(col(t.Referral.created_at), col(t.Referral.id)))
    return [_view(session, r) for r in rows]


def history(session: Session, case_manager_id: str, referral_id: str) -> list[HistoryEntry]:
    """Every step of one of the case manager's referrals, oldest first."""
    _cm_referral(session, case_manager_id, referral_id)
    rows = session.exec(
        select(t.ReferralEvent)
        .where(t.ReferralEvent.referral_id == referral_id)
        .order_by(col(t.ReferralEvent.id))
    )
    return [HistoryEntry(e.status, e.at, e.actor, e.reason) for e in rows]


def expire_due(session: Session, now: datetime) -> int:
    """Record every hold that ran out (a sweeper; holds stop counting without it)."""
    due = session.exec(
        select(t.Referral.program_id)
        .where(col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES), t.Referral.expires_at <= now)
        .distinct()
    ).all()
    return sum(_lock_and_expire(session, program_id, now)[1] for program_id in sorted(due))
