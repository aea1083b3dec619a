"""Every case of the contract's test vectors: exact levels 1-3 and the fixed reasons."""

from __future__ import annotations

import json
from typing import Any

import pytest

from matcher.assignment import build_assignment
from matcher.scenario import load_scenario, parse_scenario
from matcher.solver import SolverOptions, solve
from matcher.validate import check_assignment
from tests.conftest import SPEC

CASES: list[dict[str, Any]] = json.loads((SPEC / "vectors.json").read_text())["cases"]
ADDITIONS: list[dict[str, Any]] = json.loads((SPEC / "vectors-additions.json").read_text())["cases"]
PENDING: dict[str, str] = {}
"""Cases of the fields added after the first release whose field the engine lacks so far."""


def _vector(case: dict[str, Any]) -> Any:
    reason = PENDING.get(case["name"])
    marks = [pytest.mark.skip(reason=reason)] if reason else []
    return pytest.param(case, id=case["name"], marks=marks)


@pytest.mark.parametrize("case", [_vector(c) for c in CASES + ADDITIONS])
def test_vector_levels_and_reasons_match_the_contract(case: dict[str, Any]) -> None:
    scenario = parse_scenario(case["scenario"])
    answer = build_assignment(solve(scenario, SolverOptions(time_limit=10)))
    expect = case["expect"]
    assert answer.solver.status == "OPTIMAL"
    assert answer.objective.acute_matched == expect["acute_matched"]
    assert answer.objective.matched == expect["matched"]
    assert answer.objective.spend == pytest.approx(expect["spend"], rel=1e-6, abs=1e-6)
    reasons = {u.need_id: u.reason for u in answer.unmatched}
    for need_id, reason in expect["unmatched_reasons"].items():
        assert reasons.get(need_id) == reason, need_id
    assert check_assignment(scenario, answer.to_json()) == []


def test_example_scenario_reaches_its_stated_optimum() -> None:
    scenario = load_scenario(SPEC / "example-scenario.json")
    answer = build_assignment(solve(scenario))
    assert (answer.objective.acute_matched, answer.objective.matched) == (1, 5)
    assert answer.objective.spend == pytest.approx(1500.0)
    assert check_assignment(scenario, answer.to_json()) == []
