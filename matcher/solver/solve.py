"""The decision, once: candidate arcs in, an optimal choice of arcs out.

Pipeline (each step documented where it lives):

1. ``rules.candidate_arcs``: every (need, program, pool) the hard rules allow.
2. Levels 1-3: one min-cost flow when the budget does not bind; otherwise
   Lagrangian pricing of purchases (``budget``), and CP-SAT on the parts the
   budget links when the bound leaves a gap (``cpsat``).
3. Level 4: a min-cost flow that keeps the acute and total counts and the
   purchases of step 2 and minimises the preference penalty (``preferences``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.capacity.pools import Pool, Pools, pools_of
from matcher.rules.arcs import Arcs, candidate_arcs
from matcher.rules.tables import Tables, build_tables
from matcher.scenario import Scenario
from matcher.solver.budget import Network, solve_within_budget
from matcher.solver.cpsat import coupled_arcs, solve_exact
from matcher.solver.flow import PoolNodes, fixed_count_assignment
from matcher.solver.preferences import arc_penalty

BoolArray = npt.NDArray[np.bool_]

OPTIMAL = "OPTIMAL"
FEASIBLE = "FEASIBLE"


@dataclass(frozen=True)
class Objective:
    """Levels 1-3: acute needs met, needs met, money spent."""

    acute_matched: int
    matched: int
    spend: float


@dataclass(frozen=True)
class SolverOptions:
    """How hard to try: time limit (s), CP-SAT workers and seed (fixed for determinism)."""

    time_limit: float = 60.0
    workers: int = 1
    seed: int = 0


@dataclass(frozen=True)
class Solution:
    """Everything an answer is made from: the tables, pools, arcs and the chosen ones."""

    scenario: Scenario
    tables: Tables
    pools: Pools
    arcs: Arcs
    chosen: BoolArray
    objective: Objective
    bounds: Objective
    status: str
    seconds: float
    method: str

    @property
    def assigned(self) -> Arcs:
        """The arcs of the answer."""
        return self.arcs.take(self.chosen)


def to_cents(amount: float) -> int:
    """Money as whole cents (amounts are decimal; the cent is the unit of account)."""
    return math.floor(amount * 100 + 0.5)


def _network(tables: Tables, arcs: Arcs, pools: Pools) -> tuple[Network, PoolNodes]:
    nodes = PoolNodes.of(arcs.program, arcs.pool)
    capacity = np.array(
        [pools.size(Pool(int(k)))[g] for g, k in zip(nodes.program, nodes.pool, strict=True)],
        dtype=np.int64,
    )
    n_needs = tables.needs.size
    acute = tables.needs.acute[arcs.need]
    cents = np.rint(arcs.price * 100).astype(np.int64)
    net = Network(
        need=arcs.need,
        node=nodes.of_arc,
        node_capacity=capacity,
        n_needs=n_needs,
        weight=np.where(acute, n_needs + 2, 1).astype(np.int64),
        simple_weight=np.where(acute, 2, 1).astype(np.int64),
        cents=cents,
    )
    return net, nodes


def _objective(tables: Tables, arcs: Arcs, chosen: BoolArray) -> Objective:
    return Objective(
        acute_matched=int(tables.needs.acute[arcs.need[chosen]].sum()),
        matched=int(chosen.sum()),
        spend=round(float(np.rint(arcs.price[chosen] * 100).sum()) / 100, 2),
    )


def _preferences(tables: Tables, arcs: Arcs, net: Network, chosen: BoolArray) -> BoolArray:
    """Level 4: same counts, same purchases, least total preference penalty."""
    used = np.bincount(net.node[chosen], minlength=len(net.node_capacity))
    is_purchase_node = np.zeros(len(net.node_capacity), dtype=bool)
    is_purchase_node[net.node[arcs.pool == Pool.PURCHASE]] = True
    capacity = np.where(is_purchase_node, used, net.node_capacity)
    keep = capacity[net.node] > 0
    acute = tables.needs.acute
    met_acute = int(acute[arcs.need[chosen]].sum())
    group_size = np.array([met_acute, int(chosen.sum()) - met_acute], dtype=np.int64)
    picked = fixed_count_assignment(
        arcs.need[keep],
        net.node[keep],
        arc_penalty(tables, arcs.take(keep)),
        capacity,
        np.where(acute, 0, 1).astype(np.int64),
        group_size,
    )
    out = np.zeros(len(arcs), dtype=bool)
    out[np.flatnonzero(keep)[picked]] = True
    return out


def solve(scenario: Scenario, options: SolverOptions | None = None) -> Solution:
    """Decide who goes where; levels 1-3 exact (or bounded when time runs out)."""
    opts = options or SolverOptions()
    start = time.monotonic()
    deadline = start + opts.time_limit
    tables = build_tables(scenario)
    pools = pools_of(scenario.programs)
    arcs = candidate_arcs(tables, pools)
    net, _ = _network(tables, arcs, pools)
    budget_cents = to_cents(scenario.fund.budget)

    outcome = solve_within_budget(net, budget_cents, deadline)
    chosen = outcome.best.chosen
    status = OPTIMAL
    method = f"min-cost flow x{outcome.flows}"
    n1 = tables.needs.size + 1
    bound_value = math.floor(outcome.value_bound)
    spend_bound_cents: int | None = None
    if not outcome.proven:
        subset = coupled_arcs(net)
        remaining = max(0.0, deadline - time.monotonic())
        exact = solve_exact(
            net,
            subset,
            budget_cents,
            chosen,
            time_limit=remaining,
            workers=opts.workers,
            seed=opts.seed,
        )
        chosen = np.where(subset, exact.chosen, chosen)
        method += ", CP-SAT on the budget-linked part"
        free_part = int(net.weight[chosen & ~subset].sum())
        bound_value = min(bound_value, exact.value_bound + free_part)
        if not (exact.value_proven and exact.spend_proven):
            status = FEASIBLE
            spend_bound_cents = exact.spend_bound if exact.value_proven else 0
    chosen = _preferences(tables, arcs, net, chosen)
    objective = _objective(tables, arcs, chosen)
    if status == OPTIMAL:
        bounds = objective
    else:
        acute_bound = min(bound_value // n1, int(tables.needs.acute.sum()))
        matched_bound = (
            bound_value - n1 * objective.acute_matched
            if acute_bound == objective.acute_matched
            else tables.needs.size
        )
        bounds = Objective(acute_bound, matched_bound, (spend_bound_cents or 0) / 100)
    return Solution(
        scenario,
        tables,
        pools,
        arcs,
        chosen,
        objective,
        bounds,
        status,
        time.monotonic() - start,
        method,
    )
