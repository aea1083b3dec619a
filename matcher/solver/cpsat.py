"""Exact closing of levels 1-3 with CP-SAT, when the Lagrangian bound leaves a gap.

Only the parts of the problem the budget links are given to CP-SAT (see
``coupled_arcs``); the flow's answer is its hint. Two solves, lexicographic:
the best value (levels 1-2), then, with that value fixed, the least spend
(level 3). The worker count and seed are fixed by the caller, so a given input
gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matcher.rules.tables import IntArray
from matcher.solver.budget import Network

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ExactOutcome:
    """CP-SAT's answer on the arcs it was given, and what it proved."""

    chosen: BoolArray
    value_proven: bool
    spend_proven: bool
    value_bound: int
    spend_bound: int


def coupled_arcs(net: Network) -> BoolArray:
    """Arcs in connected parts (needs joined through shared pool nodes) with a paid purchase.

    Parts without a paid purchase arc do not depend on the budget, and the flow
    already solved them exactly.
    """
    n_nodes = len(net.node_capacity)
    size = net.n_needs + n_nodes
    graph = coo_matrix(
        (np.ones(len(net.need)), (net.need, net.n_needs + net.node)), shape=(size, size)
    )
    _, label = connected_components(graph, directed=False)
    arc_label = label[net.need]
    paid = np.unique(arc_label[net.cents > 0])
    return np.isin(arc_label, paid)


def _groups(keys: IntArray) -> list[IntArray]:
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(keys[order])) + 1
    return np.split(order, bounds)


def solve_exact(
    net: Network,
    subset: BoolArray,
    budget_cents: int,
    hint: BoolArray,
    *,
    time_limit: float,
    workers: int,
    seed: int,
) -> ExactOutcome:
    """Levels 1-3 exactly on the arcs in ``subset`` (budget left: ``budget_cents``)."""
    idx = np.flatnonzero(subset)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"a{i}") for i in idx]
    for group in _groups(net.need[idx]):
        if len(group) > 1:
            model.add_at_most_one(x[i] for i in group)
    caps = net.node_capacity
    for group in _groups(net.node[idx]):
        cap = int(caps[net.node[idx[group[0]]]])
        if cap < len(group):
            model.add(cp_model.LinearExpr.sum([x[i] for i in group]) <= cap)
    cents = [int(c) for c in net.cents[idx]]
    weight = [int(w) for w in net.weight[idx]]
    model.add(cp_model.LinearExpr.weighted_sum(x, cents) <= budget_cents)
    for var, on in zip(x, hint[idx], strict=True):
        model.add_hint(var, bool(on))
    # Levels 1-3 in one objective: every unit of value outweighs any spend within budget.
    scale = budget_cents + 1
    model.maximize(
        cp_model.LinearExpr.weighted_sum(
            x, [w * scale - c for w, c in zip(weight, cents, strict=True)]
        )
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    status = solver.solve(model)
    chosen = np.zeros(len(net.need), dtype=bool)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen[idx] = hint[idx]
        return ExactOutcome(chosen, False, False, int(net.weight[chosen].sum()), 0)
    chosen[idx] = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    if status == cp_model.OPTIMAL:
        value = int(net.weight[chosen].sum())
        return ExactOutcome(chosen, True, True, value, int(net.cents[chosen].sum()))
    bound = int(solver.best_objective_bound)
    # bound = value_bound * scale - spend: recover the value bound (spend < scale).
    value_bound = -(-bound // scale)
    return ExactOutcome(chosen, False, False, value_bound, 0)
