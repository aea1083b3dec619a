"""Invariants of every answer on random small scenarios (Hypothesis, profile from conftest)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from geopy.distance import great_circle
from hypothesis import given

from matcher.assignment import Assignment, build_assignment
from matcher.capacity.pools import unused_places
from matcher.scenario import Need, Participant, Program, Scenario
from matcher.solver import SolverOptions, solve
from matcher.validate import TOLERANCE_KM, _broken_rules, check_assignment
from tests.builders import broken_matrix, make_need, make_participant, make_program, make_scenario
from tests.strategies import scenarios

OPTIONS = SolverOptions(time_limit=10)


def answer_of(scenario: Scenario) -> Assignment:
    return build_assignment(solve(scenario, OPTIONS))


def without_timing(answer: Assignment) -> str:
    data: dict[str, Any] = answer.to_json()
    solver = dict(data["solver"])
    del solver["seconds"]
    data["solver"] = solver
    return json.dumps(data, sort_keys=True)


@given(scenarios)
def test_every_answer_passes_the_independent_check(scenario: Scenario) -> None:
    """No hard rule broken, no pool exceeded, the budget kept, every need answered once."""
    answer = answer_of(scenario)
    assert answer.solver.status == "OPTIMAL"
    assert check_assignment(scenario, answer.to_json()) == []


@given(scenarios)
def test_no_general_place_is_used_beyond_a_programs_unused_capacity(scenario: Scenario) -> None:
    answer = answer_of(scenario)
    used = Counter(a.program_id for a in answer.assignments if a.pool == "general")
    for program in scenario.programs:
        assert used[program.id] <= unused_places(program.capacity), program.id


@given(scenarios)
def test_a_waitlist_turn_never_displaces(scenario: Scenario) -> None:
    """A turn is taken only by its owner, once per program, and only when the people
    ahead keep their places (``open_slots - held >= position``); general stays unused-only."""
    answer = answer_of(scenario)
    programs = {g.id: g for g in scenario.programs}
    people = {p.id: p for p in scenario.participants}
    turns = Counter(
        (a.participant_id, a.program_id) for a in answer.assignments if a.pool == "waitlist_turn"
    )
    for (pid, gid), count in turns.items():
        cap = programs[gid].capacity
        position = {w.program_id: w.position for w in people[pid].waitlist_positions}[gid]
        assert count == 1
        assert cap.open_slots is not None
        assert cap.open_slots - cap.held >= position


@given(scenarios)
def test_the_answer_is_deterministic(scenario: Scenario) -> None:
    assert without_timing(answer_of(scenario)) == without_timing(answer_of(scenario))


def near_a_boundary(person: Participant, program: Program) -> bool:
    """Within 1e-6 km of the travel limit or a stay-away edge: the contract allows either."""
    there = (program.location.lat, program.location.lon)
    km = great_circle((person.location.lat, person.location.lon), there).km
    edges = [c.radius_m / 1000 - great_circle((c.lat, c.lon), there).km for c in person.stay_away]
    if person.max_distance_km is not None:
        edges.append(person.max_distance_km - km)
    return any(abs(edge) <= TOLERANCE_KM for edge in edges)


@given(scenarios)
def test_vectorised_rules_agree_with_the_validators_one_pair_rules(scenario: Scenario) -> None:
    matrix = broken_matrix(scenario)
    for i, person in enumerate(scenario.participants):
        for j, program in enumerate(scenario.programs):
            if near_a_boundary(person, program):
                continue
            need = Need(id="any", service_types=list(program.service_types))
            theirs = _broken_rules(person, program, need)
            assert matrix[i][j] == (theirs[0] if theirs else None), (person.id, program.id)


@given(scenarios)
def test_blocked_by_counts_stay_within_the_programs_of_the_type(scenario: Scenario) -> None:
    answer = answer_of(scenario)
    needs = {n.id: n for p in scenario.participants for n in p.needs}
    for why in answer.unmatched:
        of_type = sum(
            bool(set(g.service_types) & set(needs[why.need_id].service_types))
            for g in scenario.programs
        )
        blocked = sum((why.blocked_by or {}).values())
        assert blocked <= of_type
        assert (why.reason == "no_program_of_type") == (of_type == 0)
        assert (why.reason == "not_eligible") == (0 < of_type == blocked)


@pytest.mark.parametrize(
    ("price", "budget", "bought"),
    [
        (100.004, 100.0, 0),
        (100.0, 99.996, 0),
        (0.004, 0.0, 0),
        (33.333, 100.0, 2),
        (0.3, 0.9, 3),
    ],
    ids=[
        "price_a_fraction_of_a_cent_above_budget",
        "budget_a_fraction_of_a_cent_below_price",
        "tiny_price_with_no_budget",
        "three_sub_cent_prices_just_over_budget",
        "float_noise_does_not_lose_a_place",
    ],
)
def test_sub_cent_money_still_keeps_the_budget(price: float, budget: float, bought: int) -> None:
    capacity = {"open_slots": 0, "waitlist": 0, "purchasable": 3, "price": price}
    person = make_participant(needs=[make_need(id=f"n-{k}") for k in range(3)])
    scenario = make_scenario([make_program(capacity=capacity)], [person], budget=budget)
    answer = answer_of(scenario)
    assert answer.objective.matched == bought
    assert answer.objective.spend == pytest.approx(bought * price, rel=1e-9)
    assert answer.objective.spend <= budget
    assert check_assignment(scenario, answer.to_json()) == []


def test_a_purchased_place_costs_its_exact_price() -> None:
    capacity = {"open_slots": 0, "waitlist": 0, "purchasable": 2, "price": 33.333}
    person = make_participant(needs=[make_need(id="a"), make_need(id="b")])
    scenario = make_scenario([make_program(capacity=capacity)], [person], budget=100.0)
    answer = answer_of(scenario)
    assert [a.cost for a in answer.assignments] == [33.333, 33.333]
    assert sum(a.cost for a in answer.assignments) == pytest.approx(answer.objective.spend)
    assert check_assignment(scenario, answer.to_json()) == []
