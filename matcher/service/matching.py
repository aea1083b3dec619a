"""Matching from the live store: one participant's options, or a case manager's batch.

Both read LEAD's queue *now* (``matcher.service.queue``: every active participant's
open needs) and give what the optimum of the whole queue gives the needs asked about
(``queue_answer``), with the same rules, pools, exact levels, potentials and time
limit as the queue's re-solve and a hold's check: so a place recommended is one the
hold's check accepts, and a participant's request and their case manager's batch give
one answer. Needs that already have an open or filled referral are left out (a
participant's request reports them with that status). Matching proposes; nothing is
held until the case manager holds an option.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlmodel import Session, col, select

from matcher.assignment import Assignment, Placement, SolverInfo, build_assignment
from matcher.capacity.pools import Pool
from matcher.options import NeedOptions, Option, participant_options
from matcher.reasons import REASON_WORDS, Unmatched, unmatched_needs
from matcher.scenario import Participant, Scenario
from matcher.service.checks import with_travel_limit
from matcher.service.errors import Conflict
from matcher.service.kept import event_part
from matcher.service.participants import get as get_participant
from matcher.service.participants import is_active
from matcher.service.potentials import level4_for
from matcher.solver.solve import Objective, Solution, SolverOptions, solve
from matcher.store import tables as t
from matcher.store.snapshot import export_scenario

REFERRED_STATUSES = ("held", "referred", "offered", "enrolled")
KEPT = "kept_for_more_urgent"
KEPT_DETAIL = (
    "every place open to this need now goes to a more urgent need in LEAD's queue, or to "
    "one no other place can meet; it waits in the queue and is offered the next place "
    "that opens for it"
)
REASON_WORDS_IN_QUEUE = {**REASON_WORDS, KEPT: "kept for a more urgent need in LEAD's queue"}
"""The contract's reasons in words, and the finer one only LEAD's queue gives."""


@dataclass(slots=True)
class NeedMatch:
    """One need: its options best first, the solver's pick, or why it is unmet."""

    need_id: str
    service_types: list[str]
    acute: bool
    status: str  # "open", or the status of the referral already made for it
    referral_id: str | None = None
    recommended: Option | None = None
    options: list[Option] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    full: int = 0
    would_displace: int = 0
    unreported: int = 0
    reason: str | None = None
    detail: str | None = None


@dataclass(slots=True)
class MatchResult:
    """A participant's needs in their own order, with the solver's status."""

    participant_id: str
    needs: list[NeedMatch]
    solver_status: str
    seconds: float


def _referred(session: Session, participant_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Need id -> (referral id, status) of referrals still open or filled."""
    rows = session.exec(
        select(t.Referral.need_id, t.Referral.id, t.Referral.status).where(
            col(t.Referral.participant_id).in_(participant_ids),
            col(t.Referral.status).in_(REFERRED_STATUSES),
        )
    )
    return {need: (rid, status) for need, rid, status in rows}


def _open_needs(person: Participant, referred: dict[str, tuple[str, str]]) -> Participant:
    return person.model_copy(update={"needs": [n for n in person.needs if n.id not in referred]})


def with_options(solution: Solution) -> npt.NDArray[np.bool_]:
    """Per need of the solution's scenario, whether it has an option now: an arc of a
    pool with room (a place to buy only where the fund can pay its price), as
    ``matcher.options`` lists them."""
    arcs = solution.arcs
    payable = (arcs.pool != Pool.PURCHASE) | (arcs.price <= solution.scenario.fund.budget)
    out = np.zeros(solution.tables.needs.size, dtype=bool)
    out[arcs.need[payable]] = True
    return out


def _levels(placed: list[Placement], acute: set[str]) -> Objective:
    return Objective(
        acute_matched=sum(1 for a in placed if a.need_id in acute),
        matched=len(placed),
        spend=round(sum(a.cost for a in placed), 6),
    )


def _unmet(own: Scenario, met: set[str], time_limit: float) -> list[Unmatched]:
    """Why each need of ``own`` not in ``met`` is unmet: ``kept_for_more_urgent`` when
    it has an option, else its own reason, from a solve of ``own`` alone (only needed
    when some need is unmet)."""
    alone = solve(own, SolverOptions(time_limit=time_limit))
    ids = alone.tables.needs.ids
    unmet = np.array([k for k, need in enumerate(ids) if need not in met], dtype=np.int64)
    options = with_options(alone)
    return [
        replace(u, reason=KEPT, detail=KEPT_DETAIL) if options[k] else u
        for k, u in zip(unmet.tolist(), unmatched_needs(alone, unmet), strict=True)
    ]


def queue_answer(
    session: Session,
    own: Scenario,
    now: datetime,
    time_limit: float,
    default_max_distance_km: float | None,
) -> Assignment:
    """What the optimum of LEAD's queue gives the needs of ``own`` (some of the
    queue's participants with their open needs, and the programs that could serve
    them), as an assignment of those needs alone. Only the part of the queue connected
    to these needs (``matcher.part``, followed all the way) can change what they get:
    it is read from the process's kept copy of the queue (``event_part``, equal to that
    part of ``queue_scenario``, as a hold's check reads it) and solved with the queue's
    potentials, so the answer is the whole queue's, faster. A need it leaves unmet is
    ``kept_for_more_urgent`` when it has an option (the queue's optimum gives it to a
    need ranked higher, or to one no other place can meet); otherwise it has the
    contract's reason, told from ``own`` alone (the programs that would fit are full,
    owed to people waiting, or exclude them), as the part holds only programs with
    room. Levels 1-3 are those of these needs; when the proof was cut short, ``bounds``
    widen them by the part's proven gap. ``default_max_distance_km``: the site's travel
    limit for those who set none."""
    needs = [n for p in own.participants for n in p.needs]
    part = event_part(
        session,
        now,
        set(),
        {n.id for n in needs},
        default_km=default_max_distance_km,
        passed_within=None,
        rounds=None,
    )
    solution = solve(part, SolverOptions(time_limit=time_limit, level4=level4_for(session, now)))
    wanted = {n.id for n in needs}
    placed = [
        a for a in build_assignment(solution, explain=False).assignments if a.need_id in wanted
    ]
    met = {a.need_id for a in placed}
    unmatched = _unmet(own, met, time_limit) if len(met) < len(wanted) else []
    objective = _levels(placed, {n.id for n in needs if n.acute})
    whole = solution.objective
    bounds = Objective(
        objective.acute_matched + solution.bounds.acute_matched - whole.acute_matched,
        objective.matched + solution.bounds.matched - whole.matched,
        max(0.0, round(objective.spend - (whole.spend - solution.bounds.spend), 6)),
    )
    return Assignment(
        assignments=placed,
        unmatched=unmatched,
        warnings=own.warnings(),
        objective=objective,
        bounds=bounds,
        solver=SolverInfo(solution.status, round(solution.seconds, 4), solution.method),
    )


def match_participant(
    session: Session,
    case_manager_id: str,
    participant_id: str,
    now: datetime,
    time_limit: float,
    *,
    default_max_distance_km: float | None = None,
) -> MatchResult:
    """Ranked options per open need, the recommendation the optimum of LEAD's whole
    queue gives this participant, reasons for the rest (``queue_answer``);
    ``default_max_distance_km`` is the site's travel limit for one who set none."""
    person = with_travel_limit(
        get_participant(session, case_manager_id, participant_id), default_max_distance_km
    )
    if not is_active(session, case_manager_id, participant_id):
        raise Conflict("inactive", "the participant is inactive", field="participant_id")
    referred = _referred(session, [participant_id])
    open_needs = _open_needs(person, referred)
    kinds = {kind for need in open_needs.needs for kind in need.service_types}
    store = export_scenario(session, now, participant_ids=[], service_types=kinds)
    # The options are this participant's own; the pick is what the optimum of LEAD's
    # whole queue gives them, so two case managers asking get one answer.
    alone = Scenario(
        as_of=store.as_of, fund=store.fund, programs=store.programs, participants=[open_needs]
    )
    options = {v.need_id: v for v in participant_options(alone, participant_id)}
    answer = queue_answer(session, alone, now, time_limit, default_max_distance_km)
    picked = {a.need_id: (a.program_id, a.pool) for a in answer.assignments}
    unmet = {u.need_id: u for u in answer.unmatched}
    needs: list[NeedMatch] = []
    for need in person.needs:
        match = NeedMatch(need.id, list(need.service_types), need.acute, status="open")
        if need.id in referred:
            match.referral_id, match.status = referred[need.id]
            needs.append(match)
            continue
        view: NeedOptions = options[need.id]
        match.options, match.excluded = view.options, view.excluded
        match.full, match.would_displace = view.eligible_but_full, view.owed_to_waitlist
        match.unreported = view.unreported
        if need.id in picked:
            match.recommended = next(
                (o for o in view.options if (o.program_id, o.pool) == picked[need.id]), None
            )
        elif need.id in unmet:
            match.reason, match.detail = unmet[need.id].reason, unmet[need.id].detail
        needs.append(match)
    return MatchResult(participant_id, needs, answer.solver.status, answer.solver.seconds)


def batch_match(
    session: Session,
    case_manager_id: str,
    now: datetime,
    time_limit: float,
    *,
    default_max_distance_km: float | None = None,
) -> Assignment:
    """The case load's answer in LEAD's queue: what the optimum of the whole queue
    gives each open need of the case manager's active participants (``queue_answer``:
    the same answer each participant's own request gives, so every place it
    recommends is one a hold checked against the queue accepts), the rest with why
    they are unmet, ``kept_for_more_urgent`` where the queue gives their options to
    others. Contract JSON whose needs are the case load's open needs."""
    own = case_load(session, case_manager_id, now, default_max_distance_km)
    return queue_answer(session, own, now, time_limit, default_max_distance_km)


def case_load(
    session: Session, case_manager_id: str, now: datetime, default_max_distance_km: float | None
) -> Scenario:
    """The case manager's active participants with their open needs (the site's travel
    limit for those who set none), and every program, at ``now``."""
    own = export_scenario(session, now, case_manager_id=case_manager_id)
    referred = _referred(session, [p.id for p in own.participants])
    people = [
        with_travel_limit(_open_needs(p, referred), default_max_distance_km)
        for p in own.participants
    ]
    return own.model_copy(update={"participants": people})
