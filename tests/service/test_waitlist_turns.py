"""A participant's own waitlist turn: recorded by the case manager, exported into the
scenario, and held only when it has come, so nobody waiting is displaced."""

from __future__ import annotations

from functools import partial

import pytest
from sqlalchemy import Engine

from matcher.scenario import WaitlistPosition
from matcher.service import participants, referrals
from matcher.service.errors import Invalid, NotFound
from matcher.solver import solve
from matcher.store.engine import session_scope
from matcher.store.snapshot import export_scenario
from tests.service.world import CM, NOW, TTL, check_store, outcome, person, program, race, run, seed


def _record(engine: Engine, pid: str, *entries: tuple[str, int]) -> None:
    positions = [WaitlistPosition(program_id=g, position=k) for g, k in entries]
    run(engine, lambda s: participants.set_waitlists(s, CM, pid, positions, NOW))


def _hold(
    engine: Engine, pid: str, program_id: str, pool: str = "waitlist_turn"
) -> referrals.ReferralView:
    with session_scope(engine) as s:
        return referrals.place_hold(
            s,
            CM,
            participant_id=pid,
            need_id=f"{pid}-0",
            program_id=program_id,
            pool=pool,
            now=NOW,
            ttl=TTL,
        )


def _turn(engine: Engine, pid: str, program_id: str) -> referrals.ReferralView:
    return _hold(engine, pid, program_id)


def _general(engine: Engine, pid: str, program_id: str) -> referrals.ReferralView:
    return _hold(engine, pid, program_id, "general")


def test_a_recorded_position_is_exported_and_its_turn_is_matched(engine: Engine) -> None:
    # 3 free places, 4 waiting: no unused place; x-1 is second, so their turn has come.
    seed(engine, [program("g", open_slots=3, waitlist=4)], [person("x-1"), person("x-2")])
    _record(engine, "x-1", ("g", 2))
    with session_scope(engine) as s:
        scenario = export_scenario(s, NOW)
    mine = {p.id: p.waitlist_positions for p in scenario.participants}
    assert mine == {"x-1": [WaitlistPosition(program_id="g", position=2)], "x-2": []}
    solution = solve(scenario)
    assert [
        (int(n), int(pool))
        for n, pool in zip(solution.assigned.need, solution.assigned.pool, strict=True)
    ] == [(0, 3)]


def test_a_turn_is_held_only_when_it_has_come(engine: Engine) -> None:
    seed(engine, [program("g", open_slots=2, waitlist=4)], [person("x-1"), person("x-2")])
    _record(engine, "x-1", ("g", 2))
    _record(engine, "x-2", ("g", 3))
    assert _turn(engine, "x-1", "g").pool == "waitlist_turn"
    # The free places are 2, one now held: position 3 is not within reach.
    assert outcome(partial(_turn, engine, "x-2", "g")) == "no_room"
    check_store(engine)


def test_a_turn_on_a_waitlist_not_recorded_is_refused(engine: Engine) -> None:
    seed(engine, [program("g", open_slots=3, waitlist=4)], [person("x-1")])
    assert outcome(partial(_turn, engine, "x-1", "g")) == "not_on_waitlist"


def test_recording_checks_each_program_once_and_known(engine: Engine) -> None:
    seed(engine, [program("g", open_slots=3, waitlist=4)], [person("x-1")])
    with pytest.raises(Invalid) as twice:
        _record(engine, "x-1", ("g", 1), ("g", 2))
    assert twice.value.rule == "duplicate_waitlist"
    with pytest.raises(NotFound):
        _record(engine, "x-1", ("nowhere", 1))


def test_a_profile_update_keeps_the_recorded_waitlists(engine: Engine) -> None:
    seed(engine, [program("g", open_slots=3, waitlist=4)], [person("x-1")])
    _record(engine, "x-1", ("g", 2))
    before = run(engine, lambda s: participants.get(s, CM, "x-1"))
    run(
        engine,
        lambda s: participants.update(
            s, CM, before.model_copy(update={"waitlist_positions": []}), NOW
        ),
    )
    after = run(engine, lambda s: participants.get(s, CM, "x-1"))
    assert after.waitlist_positions == [WaitlistPosition(program_id="g", position=2)]


def test_two_turns_racing_for_the_last_free_place_never_both_win(engine: Engine) -> None:
    # One free place: only position 1's turn has come; position 1 is held by both
    # records (one per participant, on separate waitlist views), so exactly one wins.
    seed(engine, [program("g", open_slots=1, waitlist=3)], [person("x-1"), person("x-2")])
    _record(engine, "x-1", ("g", 1))
    _record(engine, "x-2", ("g", 1))
    results = race([partial(_turn, engine, "x-1", "g"), partial(_turn, engine, "x-2", "g")])
    assert sorted(results) == ["no_room", "ok"]
    check_store(engine)


def test_a_held_turn_leaves_the_unused_place_beside_it(engine: Engine) -> None:
    # 3 free places, 2 waiting, x-1 first of them: one place is unused. The optimum
    # gives x-1 their turn and x-2 the unused place; holding the turn must not owe
    # its place twice (held, and to x-1 still counted as waiting).
    people = [person("x-1"), person("x-2"), person("x-3")]
    seed(engine, [program("g", open_slots=3, waitlist=2)], people)
    _record(engine, "x-1", ("g", 1))
    with session_scope(engine) as s:
        before = solve(export_scenario(s, NOW))
    # One general place and the turn (x-3 could take the general place as well).
    assert sorted(int(p) for p in before.assigned.pool) == [0, 3]
    assert _turn(engine, "x-1", "g").pool == "waitlist_turn"
    with session_scope(engine) as s:
        during = export_scenario(s, NOW)
    (cap,) = [g.capacity for g in during.programs]
    assert (cap.open_slots, cap.held, cap.waitlist) == (3, 1, 1)
    assert _general(engine, "x-2", "g").pool == "general"
    # Both places are now held; the one left is the other person waiting's.
    assert outcome(partial(_general, engine, "x-3", "g")) == "no_room"
    check_store(engine)
