"""Levels 1-3 are exact: an independent MILP (scipy's HiGHS) finds the same three numbers.

The MILP is built here from scratch, straight from ``SCENARIO.md``: one binary per
(need, eligible program, pool with room), eligibility recomputed one pair at a
time, pool sizes per the contract. It is solved lexicographically: maximise acute
needs met, fix that; maximise needs met, fix that; minimise spend.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pytest
from geopy.distance import great_circle
from scipy.optimize import Bounds, LinearConstraint, milp

from matcher.assignment import build_assignment
from matcher.scenario import Participant, Program, Scenario
from matcher.solver import SolverOptions, solve
from tests.builders import Json, make_need, make_participant, make_program, make_scenario, offset

SEEDS = range(25)
TYPES = ("housing.shelter", "treatment.mat", "food.meals")
BARRIERS = ("excludes_active_use", "excludes_sex_work", "requires_religious_participation")


def random_scenario(seed: int) -> Scenario:
    """Scarce places, waitlists, reserved and purchasable places, a budget that often binds."""
    rng = np.random.default_rng(seed)

    def where() -> Json:
        return offset(*rng.uniform(-4, 4, size=2))

    programs = []
    for i in range(int(rng.integers(3, 8))):
        open_slots = int(rng.integers(0, 4))
        capacity: Json = {
            "open_slots": None if rng.random() < 0.1 else open_slots,
            "held": int(rng.integers(0, open_slots + 1)) if rng.random() < 0.3 else 0,
            "waitlist": int(rng.integers(0, 4)),
            "lead_reserved_open": int(rng.random() < 0.2),
            "purchasable": int(rng.integers(0, 4)),
            "price": float(rng.integers(10, 120) * 10) + (0.5 if rng.random() < 0.3 else 0.0),
        }
        if capacity["open_slots"] is None:
            capacity["held"] = 0
        barriers = {str(rng.choice(BARRIERS)): True} if rng.random() < 0.25 else {}
        eligibility: Json = {"requires_id": bool(rng.random() < 0.15)}
        if rng.random() < 0.15:
            eligibility["min_age"] = 25
        if rng.random() < 0.1:
            eligibility["reserved_for"] = ["veteran"]
        programs.append(
            make_program(
                id=f"g-{i}",
                service_types=list(rng.choice(TYPES, size=int(rng.integers(1, 3)), replace=False)),
                location=where(),
                capacity=capacity,
                barriers=barriers,
                eligibility=eligibility,
            )
        )
    people = []
    for p in range(int(rng.integers(4, 11))):
        needs = [
            make_need(
                id=f"x-{p}-{k}",
                service_types=list(rng.choice(TYPES, size=int(rng.integers(1, 3)), replace=False)),
                acute=bool(rng.random() < 0.3),
            )
            for k in range(int(rng.integers(1, 4)))
        ]
        person: Json = make_participant(
            id=f"x-{p}",
            location=where(),
            attributes={
                "active_use": bool(rng.random() < 0.5),
                "sex_work": bool(rng.random() < 0.2),
                "has_id": bool(rng.random() < 0.8),
                "age": int(rng.integers(18, 60)),
                "populations": ["veteran"] if rng.random() < 0.3 else [],
            },
            needs=needs,
        )
        if rng.random() < 0.6:
            person["max_distance_km"] = float(rng.uniform(3, 10))
        if rng.random() < 0.2:
            person["stay_away"] = [{**where(), "radius_m": float(rng.uniform(500, 3000))}]
        if rng.random() < 0.2:
            person["avoid_programs"] = [f"g-{rng.integers(0, len(programs))}"]
        people.append(person)
    total = sum(
        g["capacity"]["purchasable"] * g["capacity"]["price"] for g in programs if not g["barriers"]
    )
    budget = round(total * float(rng.choice([0.0, 0.15, 0.3, 0.5, 1.0])), 2)
    add_waitlist_positions(np.random.default_rng(seed + 10_000), programs, people)
    return make_scenario(programs, people, budget=budget)


def add_waitlist_positions(
    rng: np.random.Generator, programs: list[Json], people: list[Json]
) -> None:
    """Some participants already wait on some programs' waitlists (own stream: the
    instances are otherwise those drawn before waitlist positions existed)."""
    for person in people:
        entries = []
        for g in programs:
            waitlist = g["capacity"]["waitlist"]
            if waitlist and rng.random() < 0.3:
                entries.append(
                    {"program_id": g["id"], "position": int(rng.integers(1, waitlist + 1))}
                )
        if entries:
            person["waitlist_positions"] = entries


def allowed(person: Participant, program: Program, types: list[str]) -> bool:
    """Every hard rule of the contract, for one need of ``person`` at ``program``."""
    a, b, e = person.attributes, program.barriers, program.eligibility
    there = (program.location.lat, program.location.lon)
    km = great_circle((person.location.lat, person.location.lon), there).km
    return not (
        not set(types) & set(program.service_types)
        or (a.active_use and b.excludes_active_use)
        or (a.sex_work and b.excludes_sex_work)
        or (a.criminal_history and b.excludes_criminal_history)
        or (b.requires_religious_participation and not a.accepts_faith_based)
        or b.conversion_therapy
        or (e.genders is not None and a.gender not in e.genders)
        or (e.min_age is not None and (a.age is None or a.age < e.min_age))
        or (e.max_age is not None and (a.age is None or a.age > e.max_age))
        or (e.households is not None and a.household not in e.households)
        or (a.has_pet and not e.pets_allowed)
        or (e.requires_id and not a.has_id)
        or (e.reserved_for is not None and not set(e.reserved_for) & set(a.populations))
        or (person.max_distance_km is not None and km > person.max_distance_km)
        or any(great_circle((c.lat, c.lon), there).km < c.radius_m / 1000 for c in person.stay_away)
        or program.id in person.avoid_programs
    )


def pool_sizes(program: Program) -> dict[str, int]:
    cap = program.capacity
    fundable = not any(program.barriers.model_dump().values())
    return {
        "general": 0
        if cap.open_slots is None
        else max(0, cap.open_slots - cap.held - cap.waitlist),
        "lead_reserved": cap.lead_reserved_open,
        "purchase": cap.purchasable if fundable else 0,
    }


@dataclass(frozen=True)
class Levels:
    acute_matched: int
    matched: int
    spend: float


class Arc(NamedTuple):
    """One binary of the MILP: need ``need`` takes a place in ``pool`` of ``program``."""

    need: int
    acute: bool
    program: str
    pool: str
    price: float


def turn_has_come(person: Participant, program: Program) -> bool:
    """The participant waits at ``program`` at position k and k free, unheld places exist."""
    cap = program.capacity
    free = 0 if cap.open_slots is None else cap.open_slots - cap.held
    return any(w.program_id == program.id and w.position <= free for w in person.waitlist_positions)


def arcs_of(scenario: Scenario) -> list[Arc]:
    """Shared pools are keyed by program; a waitlist turn by program and participant."""
    arcs = []
    needs = [(p, n) for p in scenario.participants for n in p.needs]
    for k, (person, need) in enumerate(needs):
        for program in scenario.programs:
            if allowed(person, program, list(need.service_types)):
                for pool, size in pool_sizes(program).items():
                    cost = program.capacity.price if pool == "purchase" else 0.0
                    if size > 0:
                        arcs.append(Arc(k, need.acute, program.id, pool, cost))
                if turn_has_come(person, program):
                    turn = f"waitlist_turn:{person.id}"
                    arcs.append(Arc(k, need.acute, program.id, turn, 0.0))
    return arcs


def exact_levels(scenario: Scenario) -> Levels:
    """Levels 1-3 by three MILPs, each fixing the level before it."""
    arcs = arcs_of(scenario)
    if not arcs:
        return Levels(0, 0, 0.0)
    acute = np.array([a.acute for a in arcs], dtype=float)
    price = np.array([a.price for a in arcs])
    ones = np.ones(len(arcs))
    needs = sorted({a.need for a in arcs})
    places = sorted({(a.program, a.pool) for a in arcs})
    sizes = {(g.id, pool): n for g in scenario.programs for pool, n in pool_sizes(g).items()}
    sizes.update({(a.program, a.pool): 1 for a in arcs if a.pool.startswith("waitlist_turn")})
    per_need = np.array([[float(a.need == k) for a in arcs] for k in needs])
    per_place = np.array([[float((a.program, a.pool) == key) for a in arcs] for key in places])
    rows = [
        LinearConstraint(per_need, ub=1),
        LinearConstraint(per_place, ub=[sizes[key] for key in places]),
        LinearConstraint(price[None, :], ub=scenario.fund.budget),
    ]

    def optimum(c: npt.NDArray[np.float64]) -> float:
        result = milp(
            c,
            integrality=ones,
            bounds=Bounds(0, 1),
            constraints=rows,
            options={"mip_rel_gap": 0.0},
        )
        assert result.success, result.message
        return float(result.fun)

    best_acute = round(-optimum(-acute))
    rows.append(LinearConstraint(acute[None, :], lb=best_acute))
    best_matched = round(-optimum(-ones))
    rows.append(LinearConstraint(ones[None, :], lb=best_matched))
    return Levels(best_acute, best_matched, optimum(price))


@pytest.mark.parametrize("seed", SEEDS)
def test_levels_one_to_three_equal_an_independent_exact_milp(seed: int) -> None:
    scenario = random_scenario(seed)
    solution = solve(scenario, SolverOptions())
    expected = exact_levels(scenario)
    assert solution.status == "OPTIMAL"
    assert solution.objective.acute_matched == expected.acute_matched
    assert solution.objective.matched == expected.matched
    assert solution.objective.spend == pytest.approx(expected.spend, rel=1e-6, abs=1e-6)


def test_the_instances_include_binding_budgets_and_acute_needs() -> None:
    reasons: Counter[str] = Counter()
    acute = 0
    for seed in SEEDS:
        scenario = random_scenario(seed)
        answer = build_assignment(solve(scenario, SolverOptions()))
        reasons.update(u.reason for u in answer.unmatched)
        acute += answer.objective.acute_matched
    assert reasons["budget_exhausted"] >= 5
    assert reasons["capacity_exhausted"] >= 5
    assert acute >= 10


def test_the_instances_use_participants_own_waitlist_turns() -> None:
    turns = 0
    for seed in SEEDS:
        answer = build_assignment(solve(random_scenario(seed), SolverOptions()))
        turns += sum(a.pool == "waitlist_turn" for a in answer.assignments)
    assert turns >= 3
