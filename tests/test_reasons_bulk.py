"""The reasons written once per distinct case equal the reasons written need by need.

``reference`` is the plain per-need decision the contract describes (first reason
that holds, ``blocked_by`` from the counts, the detail's words), kept here as the
oracle for ``unmatched_needs``, which decides in bulk and formats each case once, and
for ``answer_text``, which writes the same rows' JSON straight from the reason columns.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given

from matcher.assignment import answer_text, build_assignment
from matcher.generate import GenerateOptions, generate
from matcher.money import dollars
from matcher.reasons import (
    BUDGET_EXHAUSTED,
    CAPACITY_EXHAUSTED,
    CAPACITY_UNKNOWN,
    NO_PROGRAM_OF_TYPE,
    NOT_ELIGIBLE,
    WOULD_DISPLACE,
    Unmatched,
    _evidence,
    unmatched_needs,
    unmet_needs,
)
from matcher.rules.registry import RULE_NAMES, phrase
from matcher.scenario import Scenario, parse_scenario
from matcher.solver import SolverOptions, solve
from matcher.solver.solve import Solution
from tests.strategies import scenarios


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def reference(solution: Solution) -> list[Unmatched]:
    """Every unmet need's reason, decided and worded one need at a time."""
    tables = solution.tables
    unmet = unmet_needs(solution)
    if len(unmet) == 0:
        return []
    ev = _evidence(solution, unmet)
    need_types = [n.service_types for p in solution.scenario.participants for n in p.needs]
    out = []
    for i, k in enumerate(unmet.tolist()):
        counts = ev.per_rule[i].tolist()
        total, eligible = sum(counts), counts[0]
        what = " or ".join(need_types[k])
        blocked = {RULE_NAMES[r - 1]: c for r, c in enumerate(counts) if r and c}
        programs = _plural(eligible, "eligible program")
        if total == 0:
            reason, detail = NO_PROGRAM_OF_TYPE, f"no program offers {what}"
        elif eligible == 0:
            parts = ", ".join(phrase(r, c) for r, c in enumerate(counts) if r and c)
            reason = NOT_ELIGIBLE
            detail = f"{_plural(total, what + ' program')}, none eligible: {parts}"
        elif ev.owed[i] and not ev.room[i]:
            waiting = int(ev.owed_waiting[i])
            reason = WOULD_DISPLACE
            detail = (
                f"{programs}: {_plural(int(ev.owed_places[i]), 'free place')}, all owed to "
                f"{waiting} {'person' if waiting == 1 else 'people'} already waiting"
            )
        elif ev.unaffordable[i]:
            reason = BUDGET_EXHAUSTED
            detail = (
                f"a place could be bought for {dollars(ev.cheapest[i] / 100)}, "
                f"but only {dollars(ev.budget_left / 100)} of the fund is left"
            )
        elif not ev.reported[i] and not ev.paid_or_for_sale[i]:
            reason = CAPACITY_UNKNOWN
            never = "it has never" if eligible == 1 else "none has ever"
            detail = (
                f"{programs}, {never} reported its free places: "
                "the need might be met if the providers reported"
            )
        else:
            reason = CAPACITY_EXHAUSTED
            detail = (
                f"{programs}, no room left: places taken by needs ranked at least as high, "
                "or none to give"
            )
        owner = tables.participants.ids[int(tables.needs.participant[k])]
        out.append(Unmatched(tables.needs.ids[k], owner, reason, blocked or None, detail))
    return out


def _same(scenario: Scenario) -> None:
    solution = solve(scenario, SolverOptions())
    assert unmatched_needs(solution) == reference(solution)
    # The answer written from the reason columns is the rows' JSON, byte for byte.
    answer, text = answer_text(solution)
    assert text == json.dumps(build_assignment(solution).to_json(), ensure_ascii=False)
    assert answer == build_assignment(solution, explain=False)


@given(scenarios)
def test_bulk_reasons_equal_need_by_need_reasons(scenario: Scenario) -> None:
    _same(scenario)


@pytest.mark.parametrize(("seed", "budget"), [(0, None), (1, 0.0), (2, 5_000.0), (3, None)])
def test_bulk_reasons_equal_need_by_need_reasons_on_generated_instances(
    seed: int, budget: float | None
) -> None:
    data = generate(GenerateOptions(participants=400, programs=30, seed=seed, budget=budget))
    for person in data["participants"][::7]:
        del person["max_distance_km"]
    _same(parse_scenario(data))


def test_needs_with_equal_cases_get_their_own_blocked_by() -> None:
    data = generate(GenerateOptions(participants=200, programs=10, seed=4))
    unmet = unmatched_needs(solve(parse_scenario(data), SolverOptions()))
    blocked = [u.blocked_by for u in unmet if u.blocked_by]
    assert len({id(b) for b in blocked}) == len(blocked)
