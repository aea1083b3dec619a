"""The part of a scenario an event touches: service types closed over needs, programs
and the fund's budget, and the same levels 1-3 as the whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matcher.part import touched_part, touched_types
from matcher.solver.solve import SolverOptions, solve
from tests.builders import make_need, make_participant, make_program, make_scenario

TYPES = ("housing.shelter", "food.pantry", "legal.aid", "health.clinic")


def test_types_close_over_needs_that_want_several() -> None:
    programs = [
        make_program(id="g-1", service_types=["housing.shelter"]),
        make_program(id="g-2", service_types=["food.pantry"]),
        make_program(id="g-3", service_types=["legal.aid"]),
    ]
    both = make_participant(
        id="x", needs=[make_need(id="x-1", service_types=["housing.shelter", "food.pantry"])]
    )
    scenario = make_scenario(programs, [both])
    assert touched_types(scenario, ["g-1"]) == {"housing.shelter", "food.pantry"}
    assert [g.id for g in touched_part(scenario, ["g-1"]).programs] == ["g-1", "g-2"]
    assert touched_types(scenario, ["g-3"]) == {"legal.aid"}
    assert touched_part(scenario, ["g-3"]).participants == []


def test_programs_where_the_fund_can_buy_share_its_budget() -> None:
    buy = {"open_slots": 0, "purchasable": 2, "price": 100.0}
    programs = [
        make_program(id="g-1", service_types=["housing.shelter"], capacity=buy),
        make_program(id="g-2", service_types=["legal.aid"], capacity=buy),
        make_program(id="g-3", service_types=["food.pantry"]),
    ]
    with_money = make_scenario(programs, [], budget=150.0)
    assert touched_types(with_money, ["g-1"]) == {"housing.shelter", "legal.aid"}
    assert touched_types(make_scenario(programs, []), ["g-1"]) == {"housing.shelter"}


@given(
    kinds=st.lists(st.sampled_from(TYPES), min_size=1, max_size=5),
    slots=st.lists(st.integers(0, 2), min_size=5, max_size=5),
    wants=st.lists(st.sets(st.sampled_from(TYPES), min_size=1, max_size=2), max_size=8),
    acute=st.lists(st.booleans(), min_size=8, max_size=8),
    touched=st.integers(0, 4),
)
def test_a_part_and_the_rest_add_up_to_the_whole(
    kinds: list[str], slots: list[int], wants: list[set[str]], acute: list[bool], touched: int
) -> None:
    programs = [
        make_program(id=f"g-{i}", service_types=[k], capacity={"open_slots": slots[i]})
        for i, k in enumerate(kinds)
    ]
    people = [
        make_participant(
            id=f"p-{i}", needs=[make_need(id=f"p-{i}-0", service_types=sorted(w), acute=acute[i])]
        )
        for i, w in enumerate(wants)
    ]
    whole = make_scenario(programs, people)
    part = touched_part(whole, [f"g-{touched % len(kinds)}"])
    part_ids = {g.id for g in part.programs}
    rest = touched_part(whole, [g.id for g in whole.programs if g.id not in part_ids])
    options = SolverOptions(time_limit=10)
    levels = [solve(s, options).objective for s in (whole, part)]
    if rest.programs:
        levels.append(solve(rest, options).objective)
    total = levels[0]
    assert total.acute_matched == sum(x.acute_matched for x in levels[1:])
    assert total.matched == sum(x.matched for x in levels[1:])
