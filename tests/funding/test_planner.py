"""The purchase planner: exact against an independent MILP, never at unfundable programs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from matcher.assignment import build_assignment
from matcher.capacity.pools import Pool, pools_of
from matcher.funding.planner import compare, exact_plan, naive_plan, planning_scenario
from matcher.generate import GenerateOptions, generate
from matcher.money import budget_cents, price_cents
from matcher.rules.arcs import candidate_arcs
from matcher.rules.tables import build_tables
from matcher.scenario import Fund, Scenario, load_scenario, parse_scenario
from matcher.solver.solve import solve
from tests.conftest import ROOT


def small(seed: int, people: int = 80, programs: int = 20) -> Scenario:
    """A generated instance whose own fund is empty, so acute needs are left to plan for."""
    data = parse_scenario(
        generate(GenerateOptions(participants=people, programs=programs, seed=seed))
    )
    return data.model_copy(update={"fund": Fund(budget=0.0)})


def milp_optimum(planning: Scenario) -> tuple[int, int, int]:
    """(acute met, needs met, spend in cents) by three MILPs, one level at a time."""
    tables = build_tables(planning)
    pools = pools_of(planning.programs)
    arcs = candidate_arcs(tables, pools)
    arcs = arcs.take(arcs.pool == int(Pool.PURCHASE))
    n_arcs, n_prog = len(arcs), len(planning.programs)
    if n_arcs == 0:
        return 0, 0, 0
    size = n_arcs + n_prog
    rows = []
    uppers = []
    for k in np.unique(arcs.need):  # each need at most once
        row = np.zeros(size)
        row[:n_arcs][arcs.need == k] = 1
        rows.append(row)
        uppers.append(1)
    for g in range(n_prog):  # places used <= places bought
        row = np.zeros(size)
        row[:n_arcs][arcs.program == g] = 1
        row[n_arcs + g] = -1
        rows.append(row)
        uppers.append(0)
    prices = price_cents(np.array([p.capacity.price for p in planning.programs]))
    money = np.zeros(size)
    money[n_arcs:] = prices
    rows.append(money)
    uppers.append(budget_cents(planning.fund.budget))
    bounds = Bounds(np.zeros(size), np.concatenate([np.ones(n_arcs), pools.purchase.astype(float)]))
    integrality = np.ones(size)
    acute = np.zeros(size)
    acute[:n_arcs] = tables.needs.acute[arcs.need]
    met = np.zeros(size)
    met[:n_arcs] = 1
    fixed: list[LinearConstraint] = []
    base = LinearConstraint(np.array(rows), -np.inf, np.array(uppers, dtype=float))
    best = []
    for objective, sense in ((acute, -1), (met, -1), (money, 1)):
        result = milp(
            sense * objective, constraints=[base, *fixed], bounds=bounds, integrality=integrality
        )
        assert result.success
        value = round(objective @ result.x)
        best.append(value)
        fixed.append(LinearConstraint(objective[None, :], value, value))
    return best[0], best[1], best[2]


@pytest.mark.parametrize("seed", range(6))
def test_exact_plan_matches_an_independent_milp(seed: int) -> None:
    scenario = small(seed)
    answer = build_assignment(solve(scenario))
    budget = 3000.0 + 1500 * seed
    planning = planning_scenario(scenario, answer, budget)
    plan = exact_plan(planning, budget)
    assert plan.status == "OPTIMAL"
    acute, met, spend = milp_optimum(planning)
    assert (plan.acute_met, plan.needs_met, round(plan.spend * 100)) == (acute, met, spend)


@pytest.mark.parametrize("seed", range(4))
def test_plans_buy_only_at_fundable_programs_within_budget(seed: int) -> None:
    scenario = small(seed, people=120, programs=24)
    fundable = {p.id for p in scenario.programs if p.fundable}
    comparison = compare(scenario, 2000.0)
    for plan in (comparison.exact, comparison.naive):
        assert {p.program_id for p in plan.purchases} <= fundable
        assert plan.spend <= 2000.0
        assert plan.needs_met <= plan.unmet_before
    assert (comparison.exact.acute_met, comparison.exact.needs_met) >= (
        comparison.naive.acute_met,
        comparison.naive.needs_met,
    )


def test_no_budget_buys_nothing() -> None:
    scenario = load_scenario(ROOT / "data" / "sample-city.json")
    comparison = compare(scenario, 0.0)
    assert comparison.exact.purchases == []
    assert comparison.naive.purchases == []


def test_housing_first_breaks_ties() -> None:
    """Two unmet needs, one place affordable: housing is bought before food."""
    from tests.builders import make_need, make_participant, make_program, make_scenario

    programs = [
        make_program(
            id="h", service_types=["housing.shelter"], capacity={"purchasable": 1, "price": 100.0}
        ),
        make_program(
            id="f", service_types=["food.meals"], capacity={"purchasable": 1, "price": 100.0}
        ),
    ]
    people = [
        make_participant(id="a", needs=[make_need(id="a-1", service_types=["food.meals"])]),
        make_participant(id="b", needs=[make_need(id="b-1", service_types=["housing.shelter"])]),
    ]
    scenario = make_scenario(programs, people)
    plan = exact_plan(planning_scenario(scenario, build_assignment(solve(scenario)), 100.0), 100.0)
    assert [p.program_id for p in plan.purchases] == ["h"]
    naive = naive_plan(planning_scenario(scenario, build_assignment(solve(scenario)), 100.0), 100.0)
    assert naive.needs_met == 1


def test_why_money_is_left_unspent_names_each_reason_with_a_suppressed_count() -> None:
    from matcher.funding.planner import Plan
    from matcher.funding.unspent import why_unspent

    def plan(left: dict[str, int], unmet_before: int = 30) -> Plan:
        return Plan("exact", 1000.0, [], [], unmet_before, "OPTIMAL", left)

    reasons = why_unspent(plan({"no_program_of_type": 14, "not_eligible": 3}))
    assert reasons == [
        "14 unmet needs: no program the fund may pay (one that excludes nobody) offers the service",
        "fewer than 11 unmet needs: every fundable program offering the service is closed "
        "to the person (its eligibility, the distance, or a program they asked not to be "
        "sent to)",
    ]
    together = why_unspent(plan({"capacity_exhausted": 6, "would_displace": 6}))
    assert together == [
        "12 unmet needs: the fundable programs offering the service have no more places for sale"
    ]
    assert why_unspent(plan({}))[0].startswith("every unmet need a bought place could meet")
    assert why_unspent(plan({}, unmet_before=0))[0].startswith("no unmet need could be met")
