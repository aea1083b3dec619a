"""A time limit that cuts the proof short still answers well: never below the greedy."""

from __future__ import annotations

import pytest

from benchmarks.greedy import respectful
from benchmarks.problem import problem_of
from matcher.assignment import build_assignment
from matcher.generate import GenerateOptions, generate
from matcher.scenario import parse_scenario
from matcher.solver import SolverOptions, solve
from matcher.validate import check_assignment


@pytest.mark.parametrize("limit", [0.0, 0.01])
def test_a_tiny_time_limit_answers_at_least_the_non_displacing_greedy(limit: float) -> None:
    scenario = parse_scenario(generate(GenerateOptions(2000, 200, 3, None)))
    baseline = respectful(problem_of(scenario))
    answer = build_assignment(solve(scenario, SolverOptions(time_limit=limit)))
    got = answer.objective
    assert answer.solver.status in ("FEASIBLE", "OPTIMAL")
    assert baseline.met > 0
    assert got.acute_matched >= baseline.acute_met
    assert got.matched >= baseline.met
    assert check_assignment(scenario, answer.to_json()) == []
    bounds = answer.bounds
    assert bounds.acute_matched >= got.acute_matched
    assert bounds.matched >= got.matched
    assert bounds.spend <= got.spend + 1e-6


def test_without_a_binding_limit_the_answer_is_proven_and_beats_the_greedy() -> None:
    scenario = parse_scenario(generate(GenerateOptions(2000, 200, 3, None)))
    baseline = respectful(problem_of(scenario))
    solution = solve(scenario, SolverOptions(time_limit=60))
    assert solution.status == "OPTIMAL"
    assert (solution.objective.acute_matched, solution.objective.matched) >= (
        baseline.acute_met,
        baseline.met,
    )
