"""The budgeted levels: Lagrangian pricing, the cycle repair that meets the bound, the deadline."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.assignment import build_assignment
from matcher.generate import GenerateOptions, generate
from matcher.scenario import parse_scenario
from matcher.solver import SolverOptions, solve
from matcher.solver.budget import Stage, maximise_within_budget
from matcher.solver.flow import FREE
from matcher.validate import check_assignment
from tests.builders import make_need, make_participant, make_program, make_scenario

FOREVER = float("inf")


def make_stage(cents: list[int], capacity: int, acute: list[bool] | None = None) -> Stage:
    """One pool node; need ``i`` has one arc to it costing ``cents[i]``."""
    n = len(cents)
    return Stage(
        need=np.arange(n, dtype=np.int64),
        node=np.zeros(n, dtype=np.int64),
        node_capacity=np.array([capacity], dtype=np.int64),
        cents=np.array(cents, dtype=np.int64),
        gate=np.full(n, FREE, dtype=np.int64),
        gate_supply=np.zeros(0, dtype=np.int64),
        value=np.ones(n, dtype=np.int64),
    )


def test_repair_adds_as_many_equal_priced_places_as_the_budget_pays_for() -> None:
    stage = make_stage([10_000] * 4, capacity=4)
    nothing = stage.point(np.zeros(4, dtype=bool))
    outcome = maximise_within_budget(stage, 25_000, FOREVER, nothing, 4)
    assert outcome.best.value == 2
    assert outcome.best.spend == 20_000
    assert outcome.bound == 2
    assert outcome.proven


def test_slack_budget_is_proven_with_one_flow() -> None:
    stage = make_stage([10_000] * 3, capacity=3)
    nothing = stage.point(np.zeros(3, dtype=bool))
    outcome = maximise_within_budget(stage, 100_000, FOREVER, nothing, 3)
    assert (outcome.best.value, outcome.flows, outcome.proven) == (3, 1, True)


def test_cheaper_places_are_bought_first_when_prices_differ() -> None:
    stage = make_stage([30_000, 10_000, 12_000, 50_000], capacity=4)
    nothing = stage.point(np.zeros(4, dtype=bool))
    outcome = maximise_within_budget(stage, 25_000, FOREVER, nothing, 4)
    assert outcome.best.value == 2
    assert outcome.best.spend == 22_000
    assert outcome.proven


def test_a_passed_deadline_returns_the_fallback_unproven_with_the_given_ceiling() -> None:
    stage = make_stage([10_000] * 4, capacity=4)
    nothing = stage.point(np.zeros(4, dtype=bool))
    outcome = maximise_within_budget(stage, 25_000, 0.0, nothing, 4)
    assert outcome.best is nothing
    assert (outcome.bound, outcome.proven, outcome.flows) == (4, False, 0)


def test_budget_binding_scenario_is_proven_optimal_through_solve() -> None:
    program = make_program(
        capacity={"open_slots": 0, "waitlist": 2, "purchasable": 5, "price": 700}
    )
    people = [make_participant(id=f"x-{k}", needs=[make_need(id=f"n-{k}")]) for k in range(5)]
    scenario = make_scenario([program], people, budget=2_000.0)
    answer = build_assignment(solve(scenario))
    assert answer.solver.status == "OPTIMAL"
    assert (answer.objective.matched, answer.objective.spend) == (2, 1_400.0)
    assert {u.reason for u in answer.unmatched} == {"budget_exhausted"}


def test_time_limit_gives_a_valid_answer_with_honest_bounds() -> None:
    scenario = parse_scenario(generate(GenerateOptions(participants=600, programs=60, seed=3)))
    full = solve(scenario)
    rushed = solve(scenario, SolverOptions(time_limit=0.0))
    assert full.status == "OPTIMAL"
    assert rushed.status == "FEASIBLE"
    assert check_assignment(scenario, build_assignment(rushed).to_json()) == []
    assert rushed.objective.acute_matched <= full.objective.acute_matched
    assert rushed.bounds.acute_matched >= full.objective.acute_matched
    assert rushed.bounds.matched >= full.objective.matched


def test_generated_instances_with_binding_budgets_are_proven() -> None:
    for seed in range(3):
        scenario = parse_scenario(
            generate(GenerateOptions(participants=800, programs=80, seed=seed))
        )
        solution = solve(scenario)
        assert solution.status == "OPTIMAL", seed
        assert solution.flows > 3, "the budget should bind"
        spent = solution.objective.spend
        assert spent <= scenario.fund.budget
        assert check_assignment(scenario, build_assignment(solution).to_json()) == []


def test_splitting_the_network_into_parts_changes_no_level(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = parse_scenario(generate(GenerateOptions(participants=1500, programs=300, seed=8)))
    whole = solve(scenario).objective
    monkeypatch.setattr("matcher.solver.flow._SPLIT_ARCS", 50)
    split = solve(scenario)
    assert split.objective == whole
    assert split.status == "OPTIMAL"
