"""A hold whose place the queue's proven optimum leaves it (its own pick, or a general or
LEAD-reserved place left over) is accepted from one solve of the part around it
(``kept_by_construction``); every other hold is solved again with it fixed. Either way
the decision is the one two solves, or a check on the whole queue, would give."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from matcher.assignment import Assignment, Placement, SolverInfo
from matcher.capacity.pools import PoolName
from matcher.service import referrals
from matcher.service.errors import ServiceError
from matcher.service.queue import QueueCheck, keeps_levels, kept_by_construction, solve_queue
from matcher.solver.solve import FEASIBLE, OPTIMAL, Objective, Status
from matcher.store import tables as t
from matcher.store.engine import make_engine, session_scope
from tests.builders import make_need, make_participant, make_program
from tests.dbs import BACKENDS, fresh_database
from tests.service.world import CM, NOW, TTL, check_store, program, seed

CHECK = QueueCheck(default_max_distance_km=None, time_limit=10)
COMMANDS = "matcher.service.referrals.commands"
TYPES = ("housing.shelter", "food.pantry")
POOLS = ("general", "lead_reserved", "purchase")


def answer(*placed: tuple[str, str, PoolName], status: Status = OPTIMAL) -> Assignment:
    """An answer placing (need, program, pool) triples."""
    levels = Objective(acute_matched=0, matched=len(placed), spend=0.0)
    return Assignment(
        assignments=[Placement(n, "p", g, pool, 0.0, 0.0) for n, g, pool in placed],
        unmatched=[],
        warnings=[],
        objective=levels,
        bounds=levels,
        solver=SolverInfo(status, 0.0),
    )


@pytest.mark.parametrize(
    ("before", "hold", "room", "kept"),
    [
        (answer(("n", "g", "general")), ("n", "g", "general"), 1, True),
        (answer(("m", "g", "general")), ("n", "g", "general"), 1, False),
        (answer(("m", "g", "general")), ("n", "g", "general"), 2, True),
        (answer(("n", "h", "general"), ("m", "g", "general")), ("n", "g", "general"), 1, False),
        (answer(("n", "h", "general"), ("m", "g", "general")), ("n", "g", "general"), 2, True),
        (answer(("m", "g", "general")), ("n", "g", "lead_reserved"), 1, True),
        (answer(("n", "g", "purchase")), ("n", "g", "purchase"), 1, True),
        (answer(("n", "h", "general")), ("n", "g", "purchase"), 3, False),
        (answer(("n", "g", "waitlist_turn")), ("n", "g", "waitlist_turn"), 1, False),
        (answer(("n", "g", "general"), status=FEASIBLE), ("n", "g", "general"), 1, False),
    ],
    ids=[
        "the-optimum-s-own-pick",
        "the-only-place-goes-to-another",
        "a-place-left-over",
        "the-need-placed-elsewhere-and-no-place-left",
        "the-need-placed-elsewhere-and-a-place-left",
        "another-pool-with-room",
        "a-purchase-the-optimum-makes",
        "a-purchase-it-does-not-make",
        "a-waitlist-turn-is-solved-again",
        "an-unproven-answer-is-solved-again",
    ],
)
def test_a_hold_is_kept_by_construction_when_a_proven_optimum_leaves_it_its_place(
    before: Assignment, hold: tuple[str, str, str], room: int, kept: bool
) -> None:
    assert kept_by_construction(before, *hold, room) is kept


class Counted:
    """``solve_queue`` counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return solve_queue(*args, **kwargs)


def needy(pid: str, acute: bool = False) -> dict[str, object]:
    return make_participant(id=pid, needs=[make_need(id=f"{pid}-0", acute=acute)])


Hold = tuple[str, str, str, str]
"""Participant, need, program and pool of a hold."""


def _hold(s: Session, hold: Hold, queue: QueueCheck | None = CHECK) -> None:
    participant_id, need_id, program_id, pool = hold
    referrals.place_hold(
        s, CM, participant_id=participant_id, need_id=need_id, program_id=program_id,
        pool=pool, now=NOW, ttl=TTL, queue=queue,
    )  # fmt: skip


def test_a_hold_on_the_place_the_optimum_gives_another_is_solved_again_and_its_pick_is_not(
    engine: Engine,
) -> None:
    people = [needy("a"), needy("b", acute=True)]
    seed(engine, [program("g-1", open_slots=1), program("g-2", open_slots=1)], people)
    solves = Counted()
    with mock.patch(f"{COMMANDS}.solve_queue", solves), session_scope(engine) as s:
        with pytest.raises(ServiceError):  # no such need: refused before any solve
            _hold(s, ("a", "a-9", "g-1", "general"))
        placed = solve_queue(s, NOW, CHECK, around=("g-1", "a-0"))[0].assignments
    assert solves.calls == 0
    b_place = next(a.program_id for a in placed if a.need_id == "b-0")
    left = "g-2" if b_place == "g-1" else "g-1"
    with mock.patch(f"{COMMANDS}.solve_queue", solves), session_scope(engine) as s:
        _hold(s, ("a", "a-0", b_place, "general"))  # b can take the other place
    assert solves.calls == 2
    with mock.patch(f"{COMMANDS}.solve_queue", solves), session_scope(engine) as s:
        _hold(s, ("b", "b-0", left, "general"))  # the optimum now gives b this place
    assert solves.calls == 3
    check_store(engine)


programs_ = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        st.integers(0, 2),  # open places
        st.integers(0, 1),  # waitlist
        st.integers(0, 1),  # LEAD-reserved places
        st.integers(0, 1),  # places for sale
    ),
    min_size=1,
    max_size=3,
)
people_ = st.lists(
    st.lists(st.tuples(st.sampled_from(TYPES), st.booleans()), min_size=1, max_size=2),
    min_size=1,
    max_size=5,
)
holds_ = st.lists(
    st.tuples(
        st.integers(0, 20),  # which need (or which of the optimum's placements)
        st.integers(0, 5),  # which program
        st.sampled_from(POOLS),
        st.booleans(),  # keep the hold when it is accepted
        st.sampled_from(["any", "optimum", "another"]),  # how to pick the hold (``_pick``)
    ),
    min_size=1,
    max_size=6,
)


def _world(programs: list[Any], people: list[Any]) -> tuple[list[Any], list[Any]]:
    progs = [
        make_program(
            id=f"g-{i}",
            service_types=[kind],
            capacity={
                "open_slots": open_slots,
                "waitlist": waitlist,
                "lead_reserved_open": reserved,
                "purchasable": sale,
                "price": 40.0,
            },
        )
        for i, (kind, open_slots, waitlist, reserved, sale) in enumerate(programs)
    ]
    persons = [
        make_participant(
            id=f"p{i}",
            needs=[
                make_need(id=f"p{i}-{k}", service_types=[kind], acute=acute)
                for k, (kind, acute) in enumerate(needs)
            ],
        )
        for i, needs in enumerate(people)
    ]
    return progs, persons


def _pick(s: Session, pick: int, at: int, pool: str, mode: str) -> tuple[Hold, bool]:
    """A hold to try, and whether its need is acute. ``any``: a need and a program
    offering its service type, if any (``at`` picks which), else ``g-<at>``;
    ``optimum``: one of the whole queue's optimum's placements; ``another``: the place
    of one of those for another need the program serves (else as ``any``)."""
    needs = s.exec(select(t.PlanNeed).order_by(col(t.PlanNeed.id))).all()
    need, program_id = needs[pick % len(needs)], f"g-{at}"
    whole = QueueCheck(default_max_distance_km=None, time_limit=10, kept=None)
    placed = solve_queue(s, NOW, whole)[0].assignments if mode != "any" else []
    if placed:
        a = placed[pick % len(placed)]
        serves = set(_serving(s, a.program_id))
        others = [n for n in needs if n.id != a.need_id and serves & set(n.service_types)]
        if mode == "optimum" or not others:
            need = next(n for n in needs if n.id == a.need_id)
        else:
            need = others[at % len(others)]
        return (need.participant_id, need.id, a.program_id, a.pool), need.acute
    serving = s.exec(
        select(t.ProgramService.program_id)
        .where(col(t.ProgramService.service_type).in_(need.service_types))
        .order_by(col(t.ProgramService.program_id))
    ).all()
    if serving:  # mostly a program the rules allow, so that the queue's check decides
        program_id = serving[at % len(serving)]
    return (need.participant_id, need.id, program_id, pool), need.acute


def _serving(s: Session, program_id: str) -> list[str]:
    return list(
        s.exec(
            select(t.ProgramService.service_type).where(t.ProgramService.program_id == program_id)
        ).all()
    )


def _decide(s: Session, hold: Hold, *, fast: bool) -> str:
    """``ok`` or the rule that refuses the hold, with or without the fast path;
    nothing is kept. Notes (``hypothesis.event``) how the fast path decided."""

    def once(*args: Any) -> bool:
        kept = fast and kept_by_construction(*args)
        if fast:
            event("kept by construction" if kept else "solved again")
        return kept

    point = s.begin_nested()
    try:
        with mock.patch(f"{COMMANDS}.kept_by_construction", once):
            _hold(s, hold)
    except ServiceError as refused:
        return refused.rule
    finally:
        point.rollback()
    return "ok"


def _whole_keeps(s: Session, hold: Hold, acute: bool) -> bool | None:
    """Whether the hold keeps the levels of the whole queue's optimum (two solves of
    the whole); ``None`` when the rules or the ledger refuse it."""
    whole = QueueCheck(default_max_distance_km=None, time_limit=10, kept=None)
    before = solve_queue(s, NOW, whole)[0]
    point = s.begin_nested()
    try:
        _hold(s, hold, queue=None)
    except ServiceError:
        point.rollback()
        return None
    kept = keeps_levels(before, solve_queue(s, NOW, whole)[0], acute)
    point.rollback()
    return kept


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs=programs_, people=people_, holds=holds_, budget=st.sampled_from([0.0, 40.0, 80.0]))
def test_the_one_solve_check_decides_as_two_solves_and_as_the_whole_queue(
    backend: str, programs: list[Any], people: list[Any], holds: list[Any], budget: float
) -> None:
    """Each hold is decided three ways, none kept: with the fast path, with two solves
    of the part always, and by two solves of the whole queue; all agree. A hold that
    ``keep`` says to keep is then placed for real, so later holds meet a queue with it."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(TemporaryDirectory()))
        engine = make_engine(stack.enter_context(fresh_database(backend, tmp)))
        stack.callback(engine.dispose)
        progs, persons = _world(programs, people)
        seed(engine, progs, persons, budget=budget)
        for pick, at, pool, keep, mode in holds:
            with session_scope(engine) as s:
                hold, acute = _pick(s, pick, at % len(progs), pool, mode)
                fast = _decide(s, hold, fast=True)
                event(f"decision: {fast}")
                assert fast == _decide(s, hold, fast=False)
                whole = _whole_keeps(s, hold, acute)
                if whole is not None:
                    assert fast == ("ok" if whole else "kept_for_more_urgent")
            if keep and fast == "ok":
                with session_scope(engine) as s:
                    _hold(s, hold)
        check_store(engine)
