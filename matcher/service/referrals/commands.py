"""What case managers and providers do to referrals: hold, confirm, withdraw, release,
enrol, decline, end, and clear a decline. Each change goes through ``core.change``.

A hold first locks the participant (as plan changes and attribute updates do), then
the programs involved in a fixed order; the database's partial unique index keeps a
need to one open referral whatever happens in between.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from matcher.assignment import Assignment
from matcher.capacity.ledger import ProgramLedger
from matcher.capacity.pools import POOL_NAMES, PoolName, current_position
from matcher.capacity.referral import (
    DECLINE_REASONS,
    END_REASONS,
    Action,
    Answer,
    AnswerError,
    Status,
    steers,
)
from matcher.rules.arcs import evaluate_pairs
from matcher.rules.registry import RULES
from matcher.rules.tables import build_tables
from matcher.scenario import Fund, Scenario
from matcher.service import audit, consent
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.service.participants import own as own_participant
from matcher.service.potentials import level4_for
from matcher.service.queue import (
    QueueCheck,
    keeps_levels,
    kept_by_construction,
    lock_queue,
    solve_queue,
)
from matcher.service.referrals.core import (
    HistoryEntry,
    ReferralView,
    act,
    category,
    change,
    locked,
    view,
)
from matcher.service.referrals.provider import org_referral
from matcher.store import tables as t
from matcher.store.ledger import Loaded
from matcher.store.snapshot import (
    available_budget_cents,
    declined_of,
    participant_of,
    plans_of,
    program_of,
)

RESPONSE_WINDOW = timedelta(days=3)
"""How long a provider has to answer a sent referral by default (``MATCHER_RESPONSE_DAYS``)."""


def _check_rules(
    session: Session,
    participant: t.Participant,
    program: t.Program,
    loaded: Loaded,
    need_id: str,
    now: datetime,
) -> None:
    """Refuse a hold that breaks a hard rule: the same rules the solver obeys (a
    program already declined for the need included)."""
    plans = plans_of(session, [participant.id])
    person = participant_of(
        participant, plans[participant.id], declined_of(session, [participant.id])
    )
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


def lock_programs(
    session: Session, need_id: str, program_id: str, now: datetime
) -> dict[str, Loaded]:
    """Lock the hold's program and those of the need's expired-but-unrecorded holds (so
    their expiry is recorded first), in id order: two holds never wait on each other."""
    stale = session.exec(
        select(t.Referral.program_id).where(
            t.Referral.need_id == need_id,
            col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES),
            t.Referral.expires_at <= now,
        )
    ).all()
    return {pid: locked(session, pid, now) for pid in sorted({program_id, *stale})}


def check_fundable(session: Session, program: t.Program, loaded: Loaded, now: datetime) -> int:
    """The price a purchase hold reserves; refused at programs the fund may not buy
    from, or when the fund cannot pay."""
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
    return price


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
    queue: QueueCheck | None = None,
) -> ReferralView:
    """Hold one place of ``pool`` at ``program_id`` for a need: 409 when no place is
    free for it without bumping someone waiting, the fund cannot pay for it, or the
    need already has an open referral (``need_already_held``). A ``waitlist_turn``
    hold is accepted only at a program where the participant's recorded position is
    within the free, unheld places (``not_on_waitlist``, ``no_room``). With ``queue``,
    the hold must also leave LEAD's queue its optimum's acute needs and needs met
    (``kept_for_more_urgent`` otherwise, naming what remains for the need): the
    queue's lock is then taken first, so two such holds (on any programs) are checked
    one after the other, the second against a queue that has the first. The part of
    the queue around the hold is solved without it and, unless that optimum leaves the
    hold its place (``kept_by_construction``), again with it fixed."""
    if pool not in POOL_NAMES:
        raise Invalid("enum", f"pool must be one of {', '.join(POOL_NAMES)}", field="pool")
    if queue is not None:
        level4_for(session, now)  # learnt (or found cached) before the lock: it may read a while
        lock_queue(session)
    participant = own_participant(session, case_manager_id, participant_id, lock=True)
    if not participant.active:
        raise Conflict("inactive", "the participant is inactive", field="participant_id")
    program = session.get(t.Program, program_id)
    if program is None:
        raise NotFound(f"no program {program_id}", field="program_id")
    loaded = lock_programs(session, need_id, program_id, now)[program_id]
    _check_rules(session, participant, program, loaded, need_id, now)
    open_for_need = session.exec(
        select(t.Referral.id).where(
            t.Referral.need_id == need_id, col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES)
        )
    ).first()
    if open_for_need is not None:
        raise _already_held(need_id, open_for_need)
    chosen: PoolName = pool
    price = check_fundable(session, program, loaded, now) if chosen == "purchase" else 0
    position = None
    if chosen == "waitlist_turn":
        position = waitlist_position(participant, program_id, loaded.state, now)
    room = loaded.state.room(chosen, now, position)
    before, part = (
        solve_queue(session, now, queue, around=(program_id, need_id))
        if queue is not None
        else (None, None)
    )
    referral = t.Referral(
        id=uuid.uuid4().hex,
        program_id=program_id,
        participant_id=participant_id,
        need_id=need_id,
        case_manager_id=case_manager_id,
        pool=chosen,
        status=Status.HELD.value,
        price_cents=price,
        created_at=now,
        updated_at=now,
        expires_at=now + ttl,
    )
    change(
        session, loaded, referral, Action.HOLD, actor=case_manager_id, now=now, position=position
    )
    try:
        session.flush()
    except IntegrityError as err:  # the database's one-open-referral-per-need index
        raise _already_held(need_id, None) from err
    if (
        queue is not None
        and before is not None
        and not kept_by_construction(before, need_id, program_id, chosen, room)
    ):
        after, _ = solve_queue(session, now, queue, part=part)
        _check_queue(session, before, after, need_id)
    return view(session, referral, now)


def _check_queue(session: Session, before: Assignment, after: Assignment, need_id: str) -> None:
    """Refuse (409 ``kept_for_more_urgent``) a hold that costs LEAD's queue an acute
    need or a need its optimum meets; the caller's transaction then writes nothing.
    ``remaining``: the place the optimum gives this need, if any."""
    need = session.get(t.PlanNeed, need_id)
    if keeps_levels(before, after, bool(need and need.acute)):
        return
    remaining = [
        {"program_id": a.program_id, "pool": a.pool}
        for a in before.assignments
        if a.need_id == need_id
    ]
    where = (
        f"; program {remaining[0]['program_id']} ({remaining[0]['pool']}) remains for it"
        if remaining
        else "; no other place remains for it now, it waits in the queue"
    )
    raise Conflict(
        "kept_for_more_urgent",
        "this place is kept for a more urgent need (or one no other place can meet) in "
        "LEAD's queue" + where,
        field="program_id",
        remaining=remaining,
    )


def waitlist_position(
    participant: t.Participant, program_id: str, state: ProgramLedger, now: datetime
) -> int:
    """Where the participant waits at the program now (``current_position`` of what
    their case manager recorded, against the waitlist the solver sees: turns held
    are no longer in it); a turn on a waitlist they are not on is refused."""
    waitlist = state.capacity_at(now).waitlist
    for entry in participant.waitlist_positions:
        if entry.get("program_id") == program_id:
            position = current_position(int(entry["position"]), waitlist)
            if position is not None:
                return position
    raise Conflict(
        "not_on_waitlist",
        f"no waitlist position at {program_id} is recorded for this participant",
        field="pool",
    )


def _already_held(need_id: str, referral_id: str | None) -> Conflict:
    which = f" {referral_id}" if referral_id else ""
    return Conflict(
        "need_already_held",
        f"need {need_id} already has an open referral{which}",
        field="need_id",
    )


def cm_referral(session: Session, case_manager_id: str, referral_id: str) -> t.Referral:
    """One of the case manager's referrals; another's answers like a missing one."""
    r = session.get(t.Referral, referral_id)
    if r is None or r.case_manager_id != case_manager_id:
        raise NotFound(f"no referral {referral_id}", field="referral_id")
    return r


def confirm_with_consent(
    session: Session,
    case_manager_id: str,
    referral_id: str,
    now: datetime,
    ttl: timedelta,
    respond_within: timedelta = RESPONSE_WINDOW,
) -> ReferralView:
    """The participant takes the option and, at the same time, consents to the program
    receiving what this referral's category needs: one transaction, so a refused
    confirmation leaves no consent behind."""
    r = cm_referral(session, case_manager_id, referral_id)
    consent.grant(
        session,
        case_manager_id,
        r.participant_id,
        recipient_type="program",
        recipient_id=r.program_id,
        categories=[category(session, r)],
        starts_at=now,
        ends_at=None,
        now=now,
    )
    return confirm(session, case_manager_id, referral_id, now, ttl, respond_within)


def confirm(
    session: Session,
    case_manager_id: str,
    referral_id: str,
    now: datetime,
    ttl: timedelta,
    respond_within: timedelta = RESPONSE_WINDOW,
) -> ReferralView:
    """The participant takes the option: the hold is sent and the provider sees it from
    now on. The provider should answer within ``respond_within`` (later, the case
    manager sees it overdue); the place stays held one hold ``ttl`` beyond that.
    Refused (409 ``consent_required``) without a valid consent for that recipient."""
    r = cm_referral(session, case_manager_id, referral_id)
    program = session.get(t.Program, r.program_id)
    if r.status == Status.HELD and r.expires_at > now and program is not None:
        consent.disclose(session, r, program, category(session, r), case_manager_id, now)
    return act(
        session,
        r,
        Action.CONFIRM,
        actor=case_manager_id,
        now=now,
        expires_at=now + respond_within + ttl,
        respond_by=now + respond_within,
    )


def withdraw(
    session: Session, case_manager_id: str, referral_id: str, now: datetime
) -> ReferralView:
    """The participant declines the option. It is not offered for this need again;
    nothing else counts against them."""
    r = cm_referral(session, case_manager_id, referral_id)
    return act(
        session,
        r,
        Action.WITHDRAW,
        actor=case_manager_id,
        now=now,
        reason="participant_declined",
    )


def release(
    session: Session, case_manager_id: str, referral_id: str, now: datetime
) -> ReferralView:
    """The case manager lets the held place go."""
    r = cm_referral(session, case_manager_id, referral_id)
    return act(session, r, Action.RELEASE, actor=case_manager_id, now=now, reason="released")


def enrol(
    session: Session, organization_id: str, referral_id: str, actor: str, now: datetime
) -> ReferralView:
    """The provider accepts the referral: the place is filled (and, if bought, paid).
    Refused (409 ``consent_withdrawn``) when no consent in force covers it any more."""
    r = org_referral(session, organization_id, referral_id)
    loaded = locked(session, r.program_id, now)
    session.refresh(r)
    program = session.get(t.Program, r.program_id)
    if program is None or (
        consent.valid_consent(session, r.participant_id, program, category(session, r), now) is None
    ):
        raise Conflict(
            "consent_withdrawn",
            "the participant's consent for this referral is no longer in force",
            field="referral_id",
        )
    change(session, loaded, r, Action.ENROL, actor=actor, now=now)
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
    return view(session, r, now)


def _answer(reason: str, note: str | None, reasons: tuple[str, ...]) -> Answer:
    try:
        return Answer(reason, note).check(reasons)
    except AnswerError as err:
        raise Invalid(err.rule, err.message, field=err.field) from err


def decline(
    session: Session,
    organization_id: str,
    referral_id: str,
    reason: str,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> ReferralView:
    """The provider declines the referral with a structured reason (and, for ``other``,
    a short note); the place is freed. A wrong-fit reason keeps the program from being
    offered for the need again."""
    answer = _answer(reason, note, DECLINE_REASONS)
    return _answered(session, organization_id, referral_id, Action.DECLINE, answer, actor, now)


def end_placement(
    session: Session,
    organization_id: str,
    referral_id: str,
    reason: str,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> ReferralView:
    """A placement ended (same shape as a decline): its place is free again until the
    provider's next report."""
    answer = _answer(reason, note, END_REASONS)
    return _answered(session, organization_id, referral_id, Action.END, answer, actor, now)


def _answered(
    session: Session,
    organization_id: str,
    referral_id: str,
    action: Action,
    answer: Answer,
    actor: str,
    now: datetime,
) -> ReferralView:
    """Close one of the organisation's referrals with the provider's checked answer."""
    r = org_referral(session, organization_id, referral_id)
    return act(session, r, action, actor=actor, now=now, reason=answer.reason, note=answer.note)


def clear_decline(
    session: Session,
    case_manager_id: str,
    participant_id: str,
    need_id: str,
    program_id: str,
    now: datetime,
) -> None:
    """The participant changed their mind: ``program_id`` may be offered for the need
    again. The history keeps the decline; only its effect on matching ends."""
    own_participant(session, case_manager_id, participant_id, lock=True)
    rows = session.exec(
        select(t.Referral).where(
            t.Referral.participant_id == participant_id,
            t.Referral.need_id == need_id,
            t.Referral.program_id == program_id,
            col(t.Referral.decline_cleared_at).is_(None),
        )
    ).all()
    steering = [r for r in rows if steers(Status(r.status), r.decline_reason)]
    if not steering:
        raise NotFound(
            f"program {program_id} is not declined for need {need_id}", field="program_id"
        )
    for r in steering:
        r.decline_cleared_at = now
        session.add(r)
    audit.note(
        session,
        "referral.clear_decline",
        participant_id=participant_id,
        program_id=program_id,
        referral_id=steering[-1].id,
    )
    session.flush()


def case_manager_referrals(
    session: Session,
    case_manager_id: str,
    participant_id: str | None = None,
    *,
    now: datetime,
) -> list[ReferralView]:
    """A case manager's referrals, optionally for one participant, as of ``now``."""
    query = select(t.Referral).where(t.Referral.case_manager_id == case_manager_id)
    if participant_id is not None:
        query = query.where(t.Referral.participant_id == participant_id)
    rows = session.exec(query.order_by(col(t.Referral.created_at), col(t.Referral.id)))
    return [view(session, r, now) for r in rows]


def history(session: Session, case_manager_id: str, referral_id: str) -> list[HistoryEntry]:
    """Every step of one of the case manager's referrals, oldest first."""
    cm_referral(session, case_manager_id, referral_id)
    rows = session.exec(
        select(t.ReferralEvent)
        .where(t.ReferralEvent.referral_id == referral_id)
        .order_by(col(t.ReferralEvent.id))
    )
    return [HistoryEntry(e.status, e.at, e.actor, e.reason) for e in rows]
