"""Where new LEAD money should buy places: an exact plan and the naive one, compared.

The question a funder asks: with a budget ``B`` of new money, which places should the
fund buy so that the most needs that go unmet today are met? Today means after the
best assignment of the scenario as it stands (its own unused, LEAD-reserved and
purchasable places, within its own fund). What is left is a *planning scenario*:
the unmet needs, and at each fundable program (one that excludes nobody for drug
use, sex work, religion, criminal record, and never conversion therapy) the places
it still sells, at its price, with a budget of ``B``.

- **The exact plan** solves the planning scenario with the matcher's own solver,
  which is exact on its first three levels: most acute needs met, then most needs
  met, then least money spent. Housing First is the documented tie-break after
  those: in the planning scenario every housing need is ranked before every other
  need, so among equally good plans the one that houses more people wins (the
  solver's level 4, see ``matcher.solver.preferences``).
- **The naive plan** buys one place at a time where the gap count is largest: at
  the fundable program that the most still-unserved unmet needs could use, while
  the budget lasts.

Both plans are then scored the same way: the places bought become paid-for places
in the planning scenario, and the solver matches unmet needs to them.

Needs unmet with ``capacity_unknown`` are left out of the planning scenario: their
eligible programs never reported their free places and sell none, so money cannot
meet them; they ask the providers to report, and are not a place to buy.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from matcher.assignment import Assignment, build_assignment
from matcher.capacity.pools import Pool, pools_of
from matcher.money import one_price_cents
from matcher.reasons import CAPACITY_UNKNOWN
from matcher.rules.arcs import candidate_arcs
from matcher.rules.tables import build_tables
from matcher.scenario import Capacity, Fund, Need, Program, Scenario, category_of
from matcher.solver.solve import SolverOptions, solve

HOUSING = "housing"


@dataclass(frozen=True, slots=True)
class Met:
    """One need a plan meets, and where."""

    need_id: str
    participant_id: str
    program_id: str
    category: str
    acute: bool


@dataclass(frozen=True, slots=True)
class Purchase:
    """Places bought at one program, and what they would meet there."""

    program_id: str
    provider_id: str
    places: int
    price: float
    needs: dict[str, int] = field(default_factory=dict)  # category -> needs met

    @property
    def spend(self) -> float:
        return round(self.places * self.price, 2)


@dataclass(frozen=True, slots=True)
class Plan:
    """A set of purchases and the needs they meet (scored by the matcher)."""

    method: str
    budget: float
    purchases: list[Purchase]
    met: list[Met]
    unmet_before: int
    status: str
    left_unmet: dict[str, int] = field(default_factory=dict)
    """Needs the plan leaves unmet, by the reason the planning solve gave (exact plan)."""

    @property
    def spend(self) -> float:
        return round(sum(p.spend for p in self.purchases), 2)

    @property
    def needs_met(self) -> int:
        return len(self.met)

    @property
    def acute_met(self) -> int:
        return sum(m.acute for m in self.met)

    @property
    def housing_met(self) -> int:
        return sum(m.category == HOUSING for m in self.met)

    @property
    def per_thousand(self) -> float:
        """Needs met per 1,000 spent (0 when nothing is spent)."""
        return round(1000 * self.needs_met / self.spend, 3) if self.spend else 0.0


def planning_scenario(scenario: Scenario, answer: Assignment, budget: float) -> Scenario:
    """The unmet needs (housing ranked first) and the places fundable programs still
    sell, with ``budget`` to spend. Nothing else: no general or reserved places, and no
    need that waits on a provider's report (``capacity_unknown``)."""
    unmet = {u.need_id for u in answer.unmatched if u.reason != CAPACITY_UNKNOWN}
    bought = Counter(a.program_id for a in answer.assignments if a.pool == "purchase")
    programs = []
    for program in scenario.programs:
        left = program.capacity.purchasable - bought[program.id]
        if not program.fundable or left <= 0:
            continue
        cap = Capacity(purchasable=left, price=program.capacity.price)
        programs.append(program.model_copy(update={"capacity": cap}))
    participants = []
    for person in scenario.participants:
        needs = [_housing_first(n) for n in person.needs if n.id in unmet]
        if needs:
            participants.append(person.model_copy(update={"needs": needs}))
    return Scenario(
        as_of=scenario.as_of, fund=Fund(budget=budget), programs=programs, participants=participants
    )


def _housing_first(need: Need) -> Need:
    housing = any(category_of(t) == HOUSING for t in need.service_types)
    return need.model_copy(update={"rank": 1 if housing else 2})


def _with_places(planning: Scenario, places: Counter[str]) -> Scenario:
    """The planning scenario after buying ``places``: paid-for places, nothing more to buy."""
    programs: list[Program] = []
    for program in planning.programs:
        cap = Capacity(lead_reserved_open=places[program.id], price=program.capacity.price)
        programs.append(program.model_copy(update={"capacity": cap}))
    return planning.model_copy(update={"programs": programs, "fund": Fund(budget=0.0)})


def score(
    planning: Scenario, places: Counter[str], method: str, budget: float, time_limit: float
) -> Plan:
    """How many unmet needs ``places`` (program id -> places bought) would meet."""
    solution = solve(_with_places(planning, places), SolverOptions(time_limit=time_limit))
    answer = build_assignment(solution)
    needs = {n.id: (p.id, n) for p in planning.participants for n in p.needs}
    met = [
        Met(
            a.need_id,
            a.participant_id,
            a.program_id,
            needs[a.need_id][1].category,
            needs[a.need_id][1].acute,
        )
        for a in answer.assignments
    ]
    per_program: dict[str, Counter[str]] = {}
    for m in met:
        per_program.setdefault(m.program_id, Counter())[m.category] += 1
    by_id = {p.id: p for p in planning.programs}
    purchases = [
        Purchase(
            program_id=pid,
            provider_id=by_id[pid].provider_id,
            places=count,
            price=by_id[pid].capacity.price,
            needs=dict(sorted(per_program.get(pid, Counter()).items())),
        )
        for pid, count in sorted(places.items())
        if count > 0
    ]
    unmet_before = sum(len(p.needs) for p in planning.participants)
    return Plan(method, budget, purchases, met, unmet_before, solution.status)


def exact_plan(planning: Scenario, budget: float, time_limit: float = 60.0) -> Plan:
    """The best purchases for ``budget``: exact on acute needs, needs met and spend."""
    solution = solve(planning, SolverOptions(time_limit=time_limit))
    answer = build_assignment(solution)
    places = Counter(a.program_id for a in answer.assignments if a.pool == "purchase")
    plan = score(planning, places, "exact", budget, time_limit)
    left = dict(sorted(Counter(u.reason for u in answer.unmatched).items()))
    status = plan.status if solution.status == "OPTIMAL" else solution.status
    return replace(plan, status=status, left_unmet=left)


def naive_plan(planning: Scenario, budget: float, time_limit: float = 60.0) -> Plan:
    """Buy one place at a time where the most unserved unmet needs could use it."""
    tables = build_tables(planning)
    pools = pools_of(planning.programs)
    arcs = candidate_arcs(tables, pools)
    purchase = arcs.pool == int(Pool.PURCHASE)
    gap = np.bincount(arcs.program[purchase], minlength=len(planning.programs)).astype(np.int64)
    left = pools.purchase.astype(np.int64).copy()
    prices = [one_price_cents(p.capacity.price) for p in planning.programs]
    money = round(budget * 100)
    places: Counter[str] = Counter()
    while True:
        order = sorted(
            (
                g
                for g in range(len(planning.programs))
                if gap[g] > 0 and left[g] > 0 and prices[g] <= money
            ),
            key=lambda g: (-gap[g], planning.programs[g].id),
        )
        if not order:
            break
        g = order[0]
        places[planning.programs[g].id] += 1
        money -= prices[g]
        gap[g] -= 1
        left[g] -= 1
    return score(planning, places, "largest_gap", budget, time_limit)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The exact plan beside the naive one, for the same budget and unmet needs."""

    exact: Plan
    naive: Plan

    def lines(self) -> list[str]:
        out = []
        for plan in (self.exact, self.naive):
            out.append(
                f"{plan.method:<12} spend {plan.spend:>12,.2f}  needs met {plan.needs_met:>5} "
                f"(acute {plan.acute_met}, housing {plan.housing_met})  "
                f"{plan.per_thousand:.3f} per 1,000 spent  [{plan.status}]"
            )
        return out


def compare(scenario: Scenario, budget: float, time_limit: float = 60.0) -> Comparison:
    """Solve ``scenario`` as it stands, then plan ``budget`` of new money both ways."""
    answer = build_assignment(solve(scenario, SolverOptions(time_limit=time_limit)))
    planning = planning_scenario(scenario, answer, budget)
    return Comparison(
        exact_plan(planning, budget, time_limit), naive_plan(planning, budget, time_limit)
    )


def participants_helped(plan: Plan) -> dict[str, list[str]]:
    """Participant id -> the needs the plan would meet (for a case manager's own)."""
    out: dict[str, list[str]] = {}
    for m in plan.met:
        out.setdefault(m.participant_id, []).append(m.need_id)
    return out
