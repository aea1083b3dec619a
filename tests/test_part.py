"""The part of a scenario an event touches: service types closed over needs, programs
and the fund's budget, and the same levels 1-3 as the whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matcher.part import touched_part
from matcher.scenario import Scenario
from matcher.solver.solve import SolverOptions, solve
from tests.builders import make_need, make_participant, make_program, make_scenario, offset

TYPES = ("housing.shelter", "food.pantry", "legal.aid", "health.clinic")


def _ids(part: Scenario) -> tuple[list[str], list[str]]:
    return [g.id for g in part.programs], [n.id for p in part.participants for n in p.needs]


def test_a_part_follows_possible_arcs_through_programs_with_room() -> None:
    programs = [
        make_program(id="g-1", service_types=["housing.shelter"]),
        make_program(id="g-2", service_types=["food.pantry"]),
        make_program(id="g-3", service_types=["legal.aid"]),
        make_program(id="g-4", service_types=["food.pantry"], capacity={"open_slots": 0}),
        make_program(id="g-5", service_types=["food.pantry"], location=offset(km_north=40)),
    ]
    both = make_participant(
        id="x",
        needs=[make_need(id="x-1", service_types=["housing.shelter", "food.pantry"])],
        max_distance_km=10,
    )
    food = make_participant(id="y", needs=[make_need(id="y-1", service_types=["food.pantry"])])
    scenario = make_scenario(programs, [both, food])
    # g-4 has no room and g-5 is beyond x's reach: neither links x to anything.
    assert _ids(touched_part(scenario, ["g-1"], rounds=1)) == (["g-1", "g-2"], ["x-1"])
    # All the way, y (who reaches g-2 and g-5) comes in, and g-5 with it.
    assert _ids(touched_part(scenario, ["g-1"])) == (["g-1", "g-2", "g-5"], ["x-1", "y-1"])
    assert _ids(touched_part(scenario, ["g-3"])) == (["g-3"], [])
    assert _ids(touched_part(scenario, [], ["y-1"], rounds=1)) == (["g-2", "g-5"], ["y-1"])


def test_programs_where_the_fund_can_buy_share_its_budget() -> None:
    buy = {"open_slots": 0, "purchasable": 2, "price": 100.0}
    programs = [
        make_program(id="g-1", service_types=["housing.shelter"], capacity=buy),
        make_program(id="g-2", service_types=["legal.aid"], capacity=buy),
    ]
    with_money = make_scenario(programs, [], budget=150.0)
    assert _ids(touched_part(with_money, ["g-1"]))[0] == ["g-1", "g-2"]
    assert _ids(touched_part(make_scenario(programs, [], budget=50.0), ["g-1"]))[0] == ["g-1"]


@given(
    kinds=st.lists(st.sampled_from(TYPES), min_size=1, max_size=5),
    slots=st.lists(st.integers(0, 2), min_size=5, max_size=5),
    far=st.lists(st.floats(0, 30), min_size=8, max_size=8),
    wants=st.lists(st.sets(st.sampled_from(TYPES), min_size=1, max_size=2), max_size=8),
    acute=st.lists(st.booleans(), min_size=8, max_size=8),
    touched=st.integers(0, 4),
)
def test_a_part_and_the_rest_add_up_to_the_whole(
    kinds: list[str],
    slots: list[int],
    far: list[float],
    wants: list[set[str]],
    acute: list[bool],
    touched: int,
) -> None:
    programs = [
        make_program(id=f"g-{i}", service_types=[k], capacity={"open_slots": slots[i]})
        for i, k in enumerate(kinds)
    ]
    people = [
        make_participant(
            id=f"p-{i}",
            needs=[make_need(id=f"p-{i}-0", service_types=sorted(w), acute=acute[i])],
            location=offset(km_north=far[i]),
            max_distance_km=10.0,
        )
        for i, w in enumerate(wants)
    ]
    whole = make_scenario(programs, people)
    part = touched_part(whole, [f"g-{touched % len(kinds)}"])
    in_part = {g.id for g in part.programs} | {n.id for p in part.participants for n in p.needs}
    rest = whole.model_copy(
        update={
            "programs": [g for g in whole.programs if g.id not in in_part],
            "participants": [
                p.model_copy(update={"needs": [n for n in p.needs if n.id not in in_part]})
                for p in whole.participants
            ],
        }
    )
    options = SolverOptions(time_limit=10)
    levels = [solve(s, options).objective for s in (whole, part, rest)]
    total = levels[0]
    assert total.acute_matched == sum(x.acute_matched for x in levels[1:])
    assert total.matched == sum(x.matched for x in levels[1:])
