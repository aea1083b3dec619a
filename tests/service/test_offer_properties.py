"""Properties of offers over random worlds and random events, on a real database.

After every event and the re-solve that follows it: the re-solve of only the part the
event touched has the same levels 1-3 as a re-solve of the whole queue; a fresh batch
solve of the queue finds nothing more to meet (the queue's levels 1-2 are those of a
fresh batch); the ledger replays, so no offer took a place owed to someone waiting;
and a pass changes nothing else for the participant.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from matcher.assignment import build_assignment
from matcher.scenario import Need
from matcher.service import capacity, offers, participants, referrals
from matcher.service.errors import Conflict, ServiceError
from matcher.service.kept import KEPT
from matcher.service.queue import QueueCheck, keeps_levels, queue_scenario, solve_queue
from matcher.solver.solve import SolverOptions, solve
from matcher.store import tables as t
from matcher.store.engine import make_engine, session_scope
from matcher.store.snapshot import declined_of
from tests.builders import make_need, make_participant, make_program
from tests.dbs import BACKENDS, fresh_database
from tests.service.world import CM, NOW, ORG, TTL, check_store, seed

TYPES = ("housing.shelter", "food.pantry", "legal.aid")
OFFER_FOR = timedelta(hours=24)
CHECK = QueueCheck(default_max_distance_km=None, time_limit=10)
EVENTS = ("release", "pass", "accept", "report", "hold", "plan", "limit")

programs_ = st.lists(
    st.tuples(st.sampled_from(TYPES), st.integers(0, 2), st.integers(0, 2), st.booleans()),
    min_size=1,
    max_size=4,
)
people_ = st.lists(
    st.lists(
        st.tuples(st.sets(st.sampled_from(TYPES), min_size=1, max_size=2), st.booleans()),
        min_size=1,
        max_size=2,
    ),
    min_size=1,
    max_size=6,
)
events_ = st.lists(
    st.tuples(st.sampled_from(EVENTS), st.integers(0, 20), st.integers(0, 3)), max_size=8
)


def _world(programs: list[Any], people: list[Any]) -> tuple[list[Any], list[Any]]:
    progs = [
        make_program(
            id=f"g-{i}",
            service_types=[kind, TYPES[0]] if both else [kind],
            capacity={"open_slots": open_slots, "waitlist": waitlist},
        )
        for i, (kind, open_slots, waitlist, both) in enumerate(programs)
    ]
    persons = [
        make_participant(
            id=f"p-{i}",
            needs=[
                make_need(id=f"p-{i}-{k}", service_types=sorted(kinds), acute=acute)
                for k, (kinds, acute) in enumerate(needs)
            ],
        )
        for i, needs in enumerate(people)
    ]
    return progs, persons


def _resolve(s: Session, now: Any, *, whole: bool = False) -> offers.Resolved:
    return offers.resolve(
        s, now, offer_for=OFFER_FOR, time_limit=10, default_max_distance_km=None, whole=whole
    )


def _event(engine: Engine, kind: str, pick: int, size: int, now: Any, programs: int) -> None:
    with session_scope(engine) as s:
        live = s.exec(
            select(t.Referral)
            .where(col(t.Referral.status).in_(["offered", "held"]))
            .order_by(col(t.Referral.id))
        ).all()
        offered = [r for r in live if r.status == "offered"]
        if kind == "report":
            capacity.report_capacity(
                s, ORG, f"g-{pick % programs}", open_slots=size, waitlist=size // 2,
                actor="provider", now=now,
            )  # fmt: skip
        elif kind == "plan":
            _add_need(s, pick, TYPES[size % len(TYPES)], now)
        elif kind == "limit":
            _set_limit(s, pick, size, now)
        elif kind == "hold":
            _hold_by_hand(s, pick, size % programs, now)
        elif kind == "release" and live:
            referrals.release(s, CM, live[pick % len(live)].id, now)
        elif kind == "accept" and offered:
            offers.accept(s, CM, offered[pick % len(offered)].id, now, TTL)
        elif kind == "pass" and offered:
            r = offered[pick % len(offered)]
            before = _participant_state(s, r.participant_id, r.id)
            offers.pass_offer(s, CM, r.id, now)
            assert _participant_state(s, r.participant_id, r.id) == before


def _add_need(s: Session, pick: int, kind: str, now: Any) -> None:
    """A participant's plan gains a need (it enters the queue, signalled)."""
    people = s.exec(select(t.Participant.id).order_by(col(t.Participant.id))).all()
    pid = people[pick % len(people)]
    plan = participants.get(s, CM, pid).needs
    extra = Need(id=f"{pid}-new-{len(plan)}", service_types=[kind], acute=pick % 2 == 0)
    participants.set_plan(s, CM, pid, [*plan, extra], now)


def _set_limit(s: Session, pick: int, size: int, now: Any) -> None:
    """A participant's travel limit changes (programs lie 0 to 3 km from home)."""
    people = s.exec(select(t.Participant.id).order_by(col(t.Participant.id))).all()
    body = participants.get(s, CM, people[pick % len(people)])
    km = None if size == 0 else float(size) - 0.5
    participants.update(s, CM, body.model_copy(update={"max_distance_km": km}), now)


def _hold_by_hand(s: Session, pick: int, program: int, now: Any) -> None:
    """A case manager holds a place of their choosing, when the rules and the ledger
    allow it; the queue's check (on the part around the hold) decides as a check on
    the whole queue would."""
    needs = s.exec(select(t.PlanNeed).order_by(col(t.PlanNeed.id))).all()
    need = needs[pick % len(needs)]

    def attempt(queue: QueueCheck | None) -> None:
        referrals.place_hold(
            s, CM, participant_id=need.participant_id, need_id=need.id,
            program_id=f"g-{program}", pool="general", now=now, ttl=TTL, queue=queue,
        )  # fmt: skip

    whole_before = solve_queue(s, now, CHECK)[0]
    point = s.begin_nested()
    try:
        attempt(None)
    except ServiceError:
        point.rollback()
        return  # the rules or the ledger refuse it: nothing to compare
    whole_keeps = keeps_levels(whole_before, solve_queue(s, now, CHECK)[0], need.acute)
    point.rollback()
    rule = "ok"
    with s.begin_nested() as checked:
        try:
            attempt(CHECK)
        except Conflict as refused:
            rule = refused.rule
            checked.rollback()
    assert rule == ("ok" if whole_keeps else "kept_for_more_urgent")


def _participant_state(s: Session, pid: str, passed: str) -> Any:
    """Everything about a participant a pass must leave alone."""
    others = s.exec(
        select(t.Referral.id, t.Referral.status).where(
            t.Referral.participant_id == pid, t.Referral.id != passed
        )
    ).all()
    return (participants.version_of(s, CM, pid), declined_of(s, [pid]), sorted(others))


def _check_kept_part(s: Session, now: Any) -> None:
    """The part of the queue the pending signals touch is the same whether read from
    the kept copy or from the whole queue read now, and so is its optimum."""
    signals = s.exec(select(t.CapacitySignal)).all()
    touched = (
        {x.program_id for x in signals if x.program_id is not None},
        {x.need_id for x in signals if x.need_id is not None},
    )
    parts = [
        offers.signalled_part(
            s, now, *touched, default_max_distance_km=None, passed_within=OFFER_FOR, kept=kept
        )
        for kept in (None, KEPT)
    ]
    assert parts[0] == parts[1]
    if parts[0].participants and parts[0].programs:
        answers = [build_assignment(solve(p, SolverOptions(time_limit=10))) for p in parts]
        assert answers[0].assignments == answers[1].assignments


def _check_after_resolve(engine: Engine, now: Any) -> None:
    with session_scope(engine) as s:
        _check_kept_part(s, now)
        whole_point = s.begin_nested()
        whole = _resolve(s, now, whole=True)
        whole_point.rollback()
        part = _resolve(s, now)
        assert (part.acute_matched, part.matched, part.spend) == (
            whole.acute_matched,
            whole.matched,
            whole.spend,
        )
        assert len(part.offered) == len(whole.offered)
    with session_scope(engine) as s:
        fresh = queue_scenario(s, now, default_max_distance_km=None, passed_within=OFFER_FOR)
        left = solve(fresh, SolverOptions(time_limit=10)).objective
        assert (left.acute_matched, left.matched) == (0, 0)
    check_store(engine)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs=programs_, people=people_, events=events_)
def test_offers_follow_the_queue_optimum_event_after_event(
    backend: str, programs: list[Any], people: list[Any], events: list[Any]
) -> None:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(TemporaryDirectory()))
        engine = make_engine(stack.enter_context(fresh_database(backend, tmp)))
        stack.callback(engine.dispose)
        progs, persons = _world(programs, people)
        seed(engine, progs, persons)
        _check_after_resolve(engine, NOW)
        for step, (kind, pick, size) in enumerate(events, start=1):
            now = NOW + timedelta(minutes=step)
            _event(engine, kind, pick, size, now, len(progs))
            _check_after_resolve(engine, now)
