"""Matching from the live store: one participant's options, or a case manager's batch.

Both read the store *now* as a scenario (``matcher.store.snapshot``) and run the same
rules and solver as ``matcher solve``. Needs that already have an open or filled
referral are left out and reported with that status. Matching proposes; nothing is
held until the case manager holds an option.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from matcher.assignment import Assignment, build_assignment
from matcher.options import NeedOptions, Option, participant_options
from matcher.part import touched_part
from matcher.scenario import Participant, Scenario
from matcher.service.checks import with_travel_limit
from matcher.service.errors import Conflict
from matcher.service.participants import get as get_participant
from matcher.service.participants import is_active
from matcher.service.potentials import level4_for
from matcher.service.queue import queue_scenario
from matcher.solver.solve import SolverOptions, solve
from matcher.store import tables as t
from matcher.store.snapshot import export_scenario

REFERRED_STATUSES = ("held", "referred", "offered", "enrolled")
KEPT = "kept_for_more_urgent"
KEPT_DETAIL = (
    "every place open to this need now goes to a more urgent need in LEAD's queue, or to "
    "one no other place can meet; it waits in the queue and is offered the next place "
    "that opens for it"
)


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
    queue gives this participant, reasons for the rest (``kept_for_more_urgent``: it
    has options, but each goes to a need the queue's optimum puts first);
    ``default_max_distance_km`` is the site's travel limit for one who set none."""
    person = with_travel_limit(
        get_participant(session, case_manager_id, participant_id), default_max_distance_km
    )
    if not is_active(session, case_manager_id, participant_id):
        raise Conflict("inactive", "the participant is inactive", field="participant_id")
    referred = _referred(session, [participant_id])
    open_needs = _open_needs(person, referred)
    kinds = {kind for need in open_needs.needs for kind in need.service_types}
    queue = queue_scenario(session, now, default_max_distance_km=default_max_distance_km)
    # The options are this participant's own; the pick is what the optimum of LEAD's
    # whole queue gives them, so two case managers asking get one answer.
    alone = Scenario(
        as_of=queue.as_of,
        fund=queue.fund,
        programs=[g for g in queue.programs if kinds & set(g.service_types)],
        participants=[open_needs],
    )
    options = {v.need_id: v for v in participant_options(alone, participant_id)}
    # Only the part of the queue connected to this participant's needs can change
    # what they get: solving it gives the whole queue's answer for them, faster.
    part = touched_part(queue, [], [n.id for n in open_needs.needs])
    solution = solve(part, SolverOptions(time_limit=time_limit, level4=level4_for(session, now)))
    answer = build_assignment(solution)
    picked = {
        a.need_id: (a.program_id, a.pool)
        for a in answer.assignments
        if a.participant_id == participant_id
    }
    # Why a need has no option at all is the participant's own story (the programs
    # that would fit are full, owed to people waiting, or exclude them): told from
    # their own scenario, as the queue's part holds only programs with room.
    alone_answer = build_assignment(solve(alone, SolverOptions(time_limit=time_limit)))
    unmet = {u.need_id: u for u in alone_answer.unmatched}
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
        elif view.options:
            match.reason, match.detail = KEPT, KEPT_DETAIL
        elif need.id in unmet:
            match.reason, match.detail = unmet[need.id].reason, unmet[need.id].detail
        needs.append(match)
    return MatchResult(participant_id, needs, solution.status, round(solution.seconds, 4))


def batch_match(
    session: Session,
    case_manager_id: str,
    now: datetime,
    time_limit: float,
    *,
    default_max_distance_km: float | None = None,
) -> Assignment:
    """The best assignment of all the case manager's active participants' open needs."""
    scenario = export_scenario(session, now, case_manager_id=case_manager_id)
    referred = _referred(session, [p.id for p in scenario.participants])
    people = [
        with_travel_limit(_open_needs(p, referred), default_max_distance_km)
        for p in scenario.participants
    ]
    scenario = scenario.model_copy(update={"participants": people})
    return build_assignment(solve(scenario, SolverOptions(time_limit=time_limit)))
