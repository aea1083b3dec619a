"""Offers: when capacity appears, the queue is re-solved and each freed place offered.

Every ledger event that makes capacity appear leaves a ``capacity_signal`` row in its
own transaction (``matcher.store.ledger.record``). ``resolve`` reads the pending
signals, solves LEAD's queue (``matcher.service.queue``: every case load, the same
rules, pools and exact levels as a batch; only the part connected to the signalled
programs, which has the same optimum) and, for each place the optimum gives to a
need, places an *offer*: a hold by the system
(status ``offered``) that expires after ``MATCHER_OFFER_HOURS``, announced to the
case manager, who accepts it (it becomes the usual hold) or passes (it costs nothing;
the place goes back and the same program is not offered for that need again at once).

The re-solve first takes the queue's lock (``matcher.service.queue.lock_queue``), as a
hold checked against the queue does, so the places it offers and such a hold never
together cost the queue a need its optimum meets: one solves after the other wrote.
Each offer is then made as a hold is: the participant's row lock, then the program's
ledger under its row lock, and the ledger's own room check, with the
one-open-referral-per-need index behind it; so two workers never offer one place
twice, nor two places for one need: the second solves after the first offered, and
were the lock ever bypassed, it would find no room (or the need taken) and skip.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from matcher.assignment import Placement, build_assignment
from matcher.capacity.referral import Action, Status
from matcher.part import touched_part
from matcher.scenario import Scenario
from matcher.service import audit
from matcher.service.errors import Conflict, NotFound
from matcher.service.kept import KEPT, KeptQueue, event_part
from matcher.service.potentials import level4_for
from matcher.service.queue import lock_queue, queue_scenario, taken
from matcher.service.referrals.commands import (
    check_fundable,
    cm_referral,
    lock_programs,
    waitlist_position,
)
from matcher.service.referrals.core import ReferralView, act, change, view
from matcher.solver.solve import Objective, SolverOptions, solve
from matcher.store import tables as t

PASSED = "passed"


@dataclass(frozen=True, slots=True)
class Resolved:
    """What one re-solve did: the signals it answered, the offers it made, the places
    the optimum gave that another worker or request took first (``skipped``), and
    levels 1-3 of the optimum it solved."""

    signals: int
    offered: list[str]
    skipped: int
    acute_matched: int
    matched: int
    spend: float


def resolve(
    session: Session,
    now: datetime,
    *,
    offer_for: timedelta,
    time_limit: float,
    default_max_distance_km: float | None,
    force: bool = False,
    whole: bool = False,
    kept: KeptQueue | None = KEPT,
) -> Resolved:
    """Answer the pending capacity signals (with ``force``, run even without any):
    re-solve the queue and offer each place its optimum gives to a need. Only the part
    of the queue the signalled programs are connected to is solved
    (``matcher.part``, one round from the signalled programs and needs): the rest is
    already at its optimum, since every earlier optimum was offered as it was found,
    so levels 1-3 equal a re-solve of the whole queue (``whole``, or ``force``).
    Offers last ``offer_for``; a pass within that time keeps the program from being
    offered for the need again. ``kept``: the process's kept copy of participants,
    plans and programs (``matcher.service.kept``), or ``None`` to read them whole."""
    signals = session.exec(select(t.CapacitySignal).order_by(col(t.CapacitySignal.id))).all()
    if not signals and not force:
        return Resolved(0, [], 0, 0, 0, 0.0)
    level4 = level4_for(session, now)  # learnt before the lock: it may read a while
    lock_queue(session)
    ids = [s.id for s in signals]
    if whole or force:
        scenario = queue_scenario(
            session, now, default_max_distance_km=default_max_distance_km, passed_within=offer_for
        )
    else:
        scenario = signalled_part(
            session,
            now,
            {s.program_id for s in signals if s.program_id is not None},
            {s.need_id for s in signals if s.need_id is not None},
            default_max_distance_km=default_max_distance_km,
            passed_within=offer_for,
            kept=kept,
        )
    offered: list[str] = []
    skipped = 0
    levels = Objective(0, 0, 0.0)
    if scenario.programs and scenario.participants:
        solution = solve(scenario, SolverOptions(time_limit=time_limit, level4=level4))
        answer = build_assignment(solution, explain=False)
        levels = answer.objective
        for placement in sorted(answer.assignments, key=lambda a: (a.participant_id, a.need_id)):
            made = _try_offer(session, placement, now, offer_for)
            if made is None:
                skipped += 1
            else:
                offered.append(made)
    if ids:
        session.execute(delete(t.CapacitySignal).where(col(t.CapacitySignal.id).in_(ids)))
    session.flush()
    return Resolved(len(ids), offered, skipped, levels.acute_matched, levels.matched, levels.spend)


def signalled_part(
    session: Session,
    now: datetime,
    programs: set[str],
    needs: set[str],
    *,
    default_max_distance_km: float | None,
    passed_within: timedelta,
    kept: KeptQueue | None,
) -> Scenario:
    """The part of the queue the signalled ``programs`` and ``needs`` touch (one
    round): from the kept copy, or, with ``kept`` None, from the whole queue read now
    (the same scenario, more slowly)."""
    if kept is not None:
        return event_part(
            session,
            now,
            programs,
            needs,
            default_km=default_max_distance_km,
            passed_within=passed_within,
            kept=kept,
        )
    scenario = queue_scenario(
        session, now, default_max_distance_km=default_max_distance_km, passed_within=passed_within
    )
    return touched_part(scenario, programs, needs, rounds=1)


def _try_offer(
    session: Session, placement: Placement, now: datetime, offer_for: timedelta
) -> str | None:
    """Offer one place in a savepoint; ``None`` when the state changed since the solve
    (the place or the need was taken, the participant left, the plan changed)."""
    try:
        with session.begin_nested():
            return _offer(session, placement, now, offer_for)
    except (Conflict, NotFound, IntegrityError):
        return None


def _offer(session: Session, placement: Placement, now: datetime, offer_for: timedelta) -> str:
    """Place one offer as a hold is placed: participant lock, program lock, room check."""
    person = session.exec(
        select(t.Participant)
        .where(t.Participant.id == placement.participant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    need = session.get(t.PlanNeed, placement.need_id)
    if person is None or not person.active or need is None:
        raise NotFound("the participant or the need is gone", field="need_id")
    if placement.need_id in taken(session, [person.id], now):
        raise Conflict("need_already_held", "the need was taken meanwhile", field="need_id")
    # A hold of this need that ran out is recorded first, as a case manager's hold does.
    loaded = lock_programs(session, need.id, placement.program_id, now)[placement.program_id]
    program = session.get(t.Program, placement.program_id)
    assert program is not None  # its ledger was just locked
    price = 0
    position = None
    if placement.pool == "purchase":
        price = check_fundable(session, program, loaded, now)
    if placement.pool == "waitlist_turn":
        position = waitlist_position(person, program.id, loaded.state, now)
    referral = t.Referral(
        id=uuid.uuid4().hex,
        program_id=program.id,
        participant_id=person.id,
        need_id=need.id,
        case_manager_id=person.case_manager_id,
        pool=placement.pool,
        status=Status.OFFERED.value,
        price_cents=price,
        created_at=now,
        updated_at=now,
        expires_at=now + offer_for,
    )
    change(
        session,
        loaded,
        referral,
        Action.OFFER,
        actor=audit.SYSTEM,
        now=now,
        position=position,
        audited=False,
    )
    session.flush()
    audit.record(session, audit.by_system(referral, "referral.offer", now))
    return referral.id


def _own_offer(session: Session, case_manager_id: str, referral_id: str) -> t.Referral:
    r = cm_referral(session, case_manager_id, referral_id)
    if r.status != Status.OFFERED:
        raise Conflict("not_offered", f"referral {referral_id} is {r.status}", field="status")
    return r


def accept(
    session: Session, case_manager_id: str, referral_id: str, now: datetime, ttl: timedelta
) -> ReferralView:
    """The case manager takes the offer: it becomes the usual hold, for a hold's
    ``ttl`` from now (then confirm and consent as for any hold)."""
    r = _own_offer(session, case_manager_id, referral_id)
    return act(session, r, Action.ACCEPT, actor=case_manager_id, now=now, expires_at=now + ttl)


def pass_offer(
    session: Session, case_manager_id: str, referral_id: str, now: datetime
) -> ReferralView:
    """The case manager passes: the place goes back to the queue's next re-solve, and
    the program is not offered for this need again while an offer would last. Nothing
    else changes for the participant (a pass is not a decline)."""
    r = _own_offer(session, case_manager_id, referral_id)
    return act(session, r, Action.PASS, actor=case_manager_id, now=now, reason=PASSED)


def offers_of(session: Session, case_manager_id: str, now: datetime) -> list[ReferralView]:
    """The case manager's live offers, soonest to expire first."""
    rows = session.exec(
        select(t.Referral)
        .where(
            t.Referral.case_manager_id == case_manager_id,
            t.Referral.status == Status.OFFERED.value,
            t.Referral.expires_at > now,
        )
        .order_by(col(t.Referral.expires_at), col(t.Referral.id))
    )
    return [view(session, r, now) for r in rows]
