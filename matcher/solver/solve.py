"""The decision, once: candidate arcs in, an optimal choice of arcs out.

Pipeline (each step documented where it lives):

1. ``rules.candidate_arcs``: every (need, program, pool) the hard rules allow.
2. A non-displacing greedy (``greedy``): the warm start of every level, and the
   answer's floor when a time limit cuts the proof short.
3. Levels 1-3 (``levels``): one min-cost flow when the budget does not bind;
   otherwise one level at a time, Lagrangian pricing of purchases plus whole
   cycles of the priced flows to meet the bound exactly (``budget``).
4. Level 4: a min-cost flow that keeps the acute and total counts and the
   purchases of step 2 and minimises the preference penalty (``preferences``).

The time limit covers the answer: it counts from ``SolverOptions.started`` (the
command line starts it when reading ends), keeps back time to explain and write the
answer, and no flow starts that the clock (``flow.Clock``) predicts would end late.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from matcher.capacity.pools import Pool, Pools, pools_of
from matcher.money import budget_cents, price_cents
from matcher.rules.arcs import Arcs, Pairs, candidate_arcs, evaluate_pairs
from matcher.rules.tables import IntArray, Tables, build_tables
from matcher.scenario import Scenario
from matcher.solver.flow import NO_OWNER, UNLIMITED, Clock, OutOfTime, PoolNodes, assign
from matcher.solver.greedy import greedy
from matcher.solver.level4 import Level4
from matcher.solver.levels import solve_levels
from matcher.solver.preferences import arc_penalty

BoolArray = npt.NDArray[np.bool_]

Status = Literal["OPTIMAL", "FEASIBLE"]
OPTIMAL: Status = "OPTIMAL"
FEASIBLE: Status = "FEASIBLE"


@dataclass(frozen=True)
class Objective:
    """Levels 1-3: acute needs met, needs met, money spent."""

    acute_matched: int
    matched: int
    spend: float


_ANSWER_SHARE = 0.9
"""Explaining and writing an answer over preparing its arcs (tables, pairs, arcs and
the greedy), measured at state scale (``docs/benchmarks.md``): 0.55 on a quiet machine
to 0.75 on a loaded one, about 0.6 at a load average of 6 since the answer is written
from its reason columns; kept with room."""


@dataclass(frozen=True)
class SolverOptions:
    """How hard to try: the time limit in seconds, checked between flows.

    Every stage is a min-cost flow on integer costs, so the answer is
    deterministic for a given input: there is no seed and no worker count.
    ``level4``: potentials added ahead of the preferences at level 4 (``level4``).
    """

    time_limit: float = 60.0
    started: float | None = None
    """``time.monotonic()`` when the limit began to count (default: when ``solve`` is
    called); the command line starts it when reading the scenario ends."""
    level4: Level4 | None = None


@dataclass(frozen=True)
class Solution:
    """Everything an answer is made from: the tables, pools, arcs and the chosen ones
    (``pairs``: every need-program pair within reach, which the explanations reuse)."""

    scenario: Scenario
    tables: Tables
    pools: Pools
    pairs: Pairs
    arcs: Arcs
    chosen: BoolArray
    objective: Objective
    bounds: Objective
    status: Status
    seconds: float
    method: str
    flows: int

    @property
    def assigned(self) -> Arcs:
        """The arcs of the answer."""
        return self.arcs.take(self.chosen)


def program_nodes(tables: Tables, arcs: Arcs, pools: Pools) -> tuple[PoolNodes, IntArray]:
    """The pool nodes of the network and their capacities: one node per (program, pool),
    and one of capacity 1 per participant's own waitlist turn."""
    turn = arcs.pool == Pool.WAITLIST_TURN
    owner = np.where(turn, tables.needs.participant[arcs.need], NO_OWNER)
    nodes = PoolNodes.of(arcs.program, arcs.pool, owner)
    sizes = np.stack([pools.size(pool) for pool in Pool])
    capacity = sizes[nodes.pool, nodes.program].astype(np.int64)
    return nodes, np.where(nodes.pool == Pool.WAITLIST_TURN, 1, capacity)


def _objective(tables: Tables, arcs: Arcs, chosen: BoolArray) -> Objective:
    return Objective(
        acute_matched=int(tables.needs.acute[arcs.need[chosen]].sum()),
        matched=int(chosen.sum()),
        spend=round(float(arcs.price[chosen].sum()), 6),
    )


def keep_levels_prefer(
    tables: Tables,
    arcs: Arcs,
    nodes: PoolNodes,
    capacity: IntArray,
    chosen: BoolArray,
    penalty: IntArray | None = None,
    clock: Clock = UNLIMITED,
) -> BoolArray:
    """Level 4: same counts, same purchases, least total penalty (by default the
    participants' preferences, ``arc_penalty``; a caller may add its own terms).
    Raises ``OutOfTime`` when ``clock`` refuses the flow."""
    used = np.bincount(nodes.of_arc[chosen], minlength=len(capacity))
    capacity = np.where(nodes.pool == Pool.PURCHASE, used, capacity)
    keep = capacity[nodes.of_arc] > 0
    acute = tables.needs.acute
    met_acute = int(acute[arcs.need[chosen]].sum())
    picked = assign(
        arcs.need[keep],
        nodes.of_arc[keep],
        arc_penalty(tables, arcs.take(keep)) if penalty is None else penalty[keep],
        capacity,
        np.where(acute, 0, 1).astype(np.int64),
        np.array([met_acute, int(chosen.sum()) - met_acute], dtype=np.int64),
        clock,
    )
    out = np.zeros(len(arcs), dtype=bool)
    out[np.flatnonzero(keep)[picked]] = True
    return out


def _ranks(tables: Tables, arcs: Arcs, chosen: BoolArray) -> tuple[int, int, float]:
    """Levels 1-3 as one comparable key (more is better)."""
    objective = _objective(tables, arcs, chosen)
    return (objective.acute_matched, objective.matched, -objective.spend)


def solve(scenario: Scenario, options: SolverOptions | None = None) -> Solution:
    """Decide who goes where; levels 1-3 exact (or bounded when time runs out)."""
    opts = options or SolverOptions()
    start = time.monotonic()
    deadline = (start if opts.started is None else opts.started) + opts.time_limit
    tables = build_tables(scenario)
    pools = pools_of(scenario.programs, scenario.participants)
    pairs = evaluate_pairs(tables)
    arcs = candidate_arcs(tables, pools, pairs)
    nodes, capacity = program_nodes(tables, arcs, pools)
    cents = price_cents(arcs.price)
    budget = budget_cents(scenario.fund.budget)
    warm = greedy(tables, arcs, nodes.of_arc, capacity, cents, budget)
    # The limit covers the answer, not only the search: explaining the unmet needs and
    # writing the answer take about ``_ANSWER_SHARE`` of the time preparing took.
    deadline -= _ANSWER_SHARE * (time.monotonic() - start)
    clock = Clock(deadline)
    levels = solve_levels(
        arcs.need,
        nodes.of_arc,
        capacity,
        cents,
        tables.needs.acute,
        budget,
        deadline,
        warm,
        clock,
        lambda start: greedy(
            tables, arcs, nodes.of_arc, capacity, cents, budget, start, ~tables.needs.acute
        ),
    )
    chosen = levels.chosen
    if not levels.proven and _ranks(tables, arcs, warm) > _ranks(tables, arcs, chosen):
        chosen = warm
    flows = levels.flows
    preferences = "level 4 skipped: time limit"
    if time.monotonic() <= deadline:
        extra = None if opts.level4 is None else opts.level4.points(tables, arcs)
        penalty = None if extra is None else arc_penalty(tables, arcs) + extra
        try:
            chosen = keep_levels_prefer(tables, arcs, nodes, capacity, chosen, penalty, clock=clock)
            flows += 1
            preferences = "level 4 by " + ("preference" if extra is None else "potentials")
        except OutOfTime:
            pass
    objective = _objective(tables, arcs, chosen)
    status = OPTIMAL if levels.proven else FEASIBLE
    bounds = (
        objective
        if levels.proven
        else Objective(levels.acute_bound, levels.matched_bound, levels.spend_bound_cents / 100)
    )
    # The clock counts the flows a search cut short ran too (the levels' count drops them).
    flows = max(flows, clock.flows)
    method = f"min-cost flow x{flows}, {preferences}"
    return Solution(
        scenario,
        tables,
        pools,
        pairs,
        arcs,
        chosen,
        objective,
        bounds,
        status,
        time.monotonic() - start,
        method,
        flows,
    )
