"""LEAD's queue: every open need of every active participant, and since when it waits.

A need waits from the time it entered the participant's plan (``plan_need.
waiting_since``; rows older than the queue read as the participant's creation), or
from the end of its last placement if that is later. A need leaves the queue while
a referral holds or fills a place for it (held, offered, sent, enrolled); a referral
let go puts it back with its old waiting time, since the participant still waits.

The queue is what the re-solve of offers (``matcher.service.offers``) and the answer
to a case manager's request (``matcher.service.matching``) optimise over: the same
rules, pools and exact levels as a batch of every case load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from matcher.assignment import Assignment, build_assignment
from matcher.capacity.referral import Status
from matcher.part import touched_part
from matcher.scenario import Scenario
from matcher.service.checks import with_travel_limit
from matcher.service.kept import KEPT, KeptQueue, event_part, recent_passes, taking, with_passes
from matcher.service.potentials import level4_for
from matcher.solver.solve import OPTIMAL, SolverOptions, solve
from matcher.store import tables as t
from matcher.store.snapshot import export_scenario


@dataclass(frozen=True, slots=True)
class Waiting:
    """One need in the queue as its case manager sees it (an offer on it, if any)."""

    participant_id: str
    need_id: str
    service_types: list[str]
    acute: bool
    waiting_since: datetime
    days_waiting: float
    offer_id: str | None = None
    offer_program_id: str | None = None
    offer_expires_at: datetime | None = None


def taken(
    session: Session, participant_ids: Sequence[str] | None, now: datetime
) -> dict[str, t.Referral]:
    """Need id -> the referral that takes it out of the queue at ``now`` (of the
    participants named, or all)."""
    query = select(t.Referral).where(taking(now))
    if participant_ids is not None:
        query = query.where(col(t.Referral.participant_id).in_(participant_ids))
    return {r.need_id: r for r in session.exec(query)}


def waiting_since(session: Session, participant_ids: Sequence[str]) -> dict[str, datetime]:
    """Need id -> when it began waiting, for the participants named."""
    if not participant_ids:
        return {}
    rows = session.exec(
        select(t.PlanNeed.id, t.PlanNeed.waiting_since, t.Participant.created_at)
        .join(t.Participant, col(t.Participant.id) == col(t.PlanNeed.participant_id))
        .where(col(t.PlanNeed.participant_id).in_(participant_ids))
    ).all()
    since = {need: entered or created for need, entered, created in rows}
    ended = session.exec(
        select(t.Referral.need_id, func.max(t.Referral.updated_at))
        .where(
            col(t.Referral.participant_id).in_(participant_ids),
            t.Referral.status == Status.ENDED.value,
        )
        .group_by(col(t.Referral.need_id))
    ).all()
    for need, at in ended:
        if need in since and at is not None and at > since[need]:
            since[need] = at
    return since


def case_manager_queue(session: Session, case_manager_id: str, now: datetime) -> list[Waiting]:
    """The case manager's active participants' waiting needs, longest waiting first
    (acute first among equals); a need with a live offer shows it."""
    people = session.exec(
        select(t.Participant.id).where(
            t.Participant.case_manager_id == case_manager_id, col(t.Participant.active)
        )
    ).all()
    return waiting_needs(session, list(people), now)


def waiting_needs(session: Session, people: list[str], now: datetime) -> list[Waiting]:
    """The waiting needs of the participants named (live offers shown)."""
    held = taken(session, people, now)
    since = waiting_since(session, people)
    needs = session.exec(select(t.PlanNeed).where(col(t.PlanNeed.participant_id).in_(people))).all()
    out: list[Waiting] = []
    for need in needs:
        r = held.get(need.id)
        if r is not None and r.status != Status.OFFERED:  # ``taken`` has only live offers
            continue
        began = since[need.id]
        out.append(
            Waiting(
                participant_id=need.participant_id,
                need_id=need.id,
                service_types=list(need.service_types),
                acute=need.acute,
                waiting_since=began,
                days_waiting=round((now - began).total_seconds() / 86400, 2),
                offer_id=r.id if r is not None else None,
                offer_program_id=r.program_id if r is not None else None,
                offer_expires_at=r.expires_at if r is not None else None,
            )
        )
    return sorted(out, key=lambda w: (w.waiting_since, not w.acute, w.participant_id, w.need_id))


def queue_scenario(
    session: Session,
    now: datetime,
    *,
    default_max_distance_km: float | None,
    passed_within: timedelta | None = None,
) -> Scenario:
    """The whole queue at ``now`` as one batch: every active participant with only the
    needs still waiting, the site's travel limit for those who set none, and, for
    ``passed_within``, the programs passed on for a need in that time left out for it
    (so the same offer is not made again at once; the pass counts nowhere else)."""
    scenario = export_scenario(session, now)
    held = taken(session, None, now)
    passed = recent_passes(session, now - passed_within) if passed_within else {}
    people = [
        with_travel_limit(
            person.model_copy(
                update={"needs": with_passes([n for n in person.needs if n.id not in held], passed)}
            ),
            default_max_distance_km,
        )
        for person in scenario.participants
    ]
    return scenario.model_copy(update={"participants": people})


@dataclass(frozen=True, slots=True)
class QueueCheck:
    """How a hold is checked against the queue's optimum: the site's travel limit and
    the solver's time limit (the same as the queue's re-solve)."""

    default_max_distance_km: float | None
    time_limit: float
    kept: KeptQueue | None = KEPT
    """Where the parts around a hold are read from: the process's kept copy of
    participants, plans and programs (``matcher.service.kept``), or (``None``) the
    whole queue read from the store."""


@dataclass(frozen=True, slots=True)
class Part:
    """The programs and needs of the part of the queue a hold can change."""

    programs: frozenset[str]
    needs: frozenset[str]


def solve_queue(
    session: Session,
    now: datetime,
    check: QueueCheck,
    *,
    around: tuple[str, str] | None = None,
    part: Part | None = None,
) -> tuple[Assignment, Part | None]:
    """The optimum of LEAD's queue at ``now`` (levels 1-3 exact, as a batch): of the
    whole queue, or of the connected part around a (program, need) pair
    (``matcher.part``, followed all the way, so its optimum differs from the whole's
    by the same as the whole's would), or of a ``part`` found before; and that part."""
    if check.kept is not None and (around is not None or part is not None):
        scenario = event_part(
            session,
            now,
            {around[0]} if around else set(),
            {around[1]} if around else set(),
            default_km=check.default_max_distance_km,
            passed_within=None,
            kept=check.kept,
            rounds=None,
            only=None if part is None else (part.programs, part.needs),
        )
        found = scenario
    else:
        scenario = queue_scenario(
            session, now, default_max_distance_km=check.default_max_distance_km
        )
        found = touched_part(scenario, [around[0]], [around[1]]) if around else scenario
    if around is not None:
        part = Part(
            frozenset(g.id for g in found.programs),
            frozenset(n.id for p in found.participants for n in p.needs),
        )
        scenario = found
    elif part is not None and check.kept is None:
        scenario = scenario.model_copy(
            update={
                "programs": [g for g in scenario.programs if g.id in part.programs],
                "participants": [
                    p.model_copy(update={"needs": [n for n in p.needs if n.id in part.needs]})
                    for p in scenario.participants
                    if any(n.id in part.needs for n in p.needs)
                ],
            }
        )
    options = SolverOptions(time_limit=check.time_limit, level4=level4_for(session, now))
    solution = solve(scenario, options)
    return build_assignment(solution, explain=False), part


def lock_queue(session: Session) -> None:
    """Take the queue's lock for the rest of the transaction (the ``queue_lock`` row,
    ``SELECT ... FOR UPDATE``; on SQLite every writing transaction already holds the
    database's one writer lock). Taken before any other lock by a hold checked against
    the queue and by a re-solve that offers places, so their checks and solves are
    serialised and each sees what the one before it wrote; the same order everywhere
    means they never wait on each other in a circle."""
    row = session.exec(select(t.QueueLock).where(t.QueueLock.id == 1).with_for_update()).first()
    if row is None:  # a store made before the lock's row existed: make it, then lock it
        with session.begin_nested():
            session.add(t.QueueLock(id=1))
        session.exec(select(t.QueueLock).where(t.QueueLock.id == 1).with_for_update()).one()


def keeps_levels(before: Assignment, after: Assignment, acute: bool) -> bool:
    """Whether fixing one placement (of an ``acute`` need or not) still lets the queue
    meet as many acute needs and as many needs as its optimum ``before`` did: levels 1
    and 2 of ``after`` (solved with the placement fixed) plus the fixed placement."""
    met_acute = after.objective.acute_matched + int(acute)
    return (
        met_acute >= before.objective.acute_matched
        and after.objective.matched + 1 >= before.objective.matched
    )


def kept_by_construction(
    before: Assignment, need_id: str, program_id: str, pool: str, room: int
) -> bool:
    """Whether a hold keeps the queue's levels 1-2 without solving again: ``before``,
    the queue's optimum without the hold, is proven (``OPTIMAL``) and leaves the hold
    its place. A ``general`` or ``lead_reserved`` hold is left its place when the
    other needs ``before`` places in that pool of the program number fewer than its
    ``room`` (the places of the pool free before the hold), as they do when ``before``
    gives this need this very place; a ``purchase`` hold only then.

    Why: let ``before`` meet ``a`` acute needs and ``m`` needs, the optimum. Once the
    hold is written, the need has left the queue and the program has one place of the
    pool fewer: a general hold is one more held place among the unused ones (which
    stay above the waitlist, so no waitlist turn stops coming), a ``lead_reserved``
    hold one reserved place fewer, a ``purchase`` hold one place for sale fewer and
    its price reserved from the fund. ``before`` less this need's placement (wherever
    it was, if anywhere) uses no more of any pool than is left (the others in the
    hold's pool fit in ``room - 1``) and spends no more than the fund has left (a
    purchase hold's price is what the placement it replaces cost), so it is an answer
    of the queue with the hold fixed, meeting at least ``a - acute`` and ``m - 1``:
    the optimum with the hold fixed meets at least that, which is what
    ``keeps_levels`` asks of it. An exact second solve would accept the hold too.

    Not for a ``waitlist_turn`` hold: it leaves the general places as they were but
    shrinks both the free places and the waitlist, which moves whose turn has come
    for the others; this argument does not cover that, so a second solve decides. Nor when
    ``before`` was not proven (a time limit cut it short): the hold is then checked
    by a second solve as it always was."""
    if before.solver.status != OPTIMAL:
        return False
    if pool == "purchase":
        return any(
            a.need_id == need_id and a.program_id == program_id and a.pool == pool
            for a in before.assignments
        )
    if pool not in ("general", "lead_reserved"):
        return False
    others = sum(
        a.program_id == program_id and a.pool == pool and a.need_id != need_id
        for a in before.assignments
    )
    return others < room
