"""Min-cost flow building blocks (OR-Tools ``SimpleMinCostFlow``, fed with numpy arrays).

The network is always the same shape: each need is a node with one unit to place,
each (program, pool) with room is a node whose arc to the sink carries the pool's
size, and each candidate arc joins a need to a pool node. A need that is not
placed sends its unit down a zero-cost *skip* arc, so "not matched" is always a
feasible choice and the flow maximises profit rather than volume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from matcher.rules.tables import IntArray

BoolArray = npt.NDArray[np.bool_]


class FlowError(RuntimeError):
    """The flow solver reported something other than an optimum (a bug or an overflow)."""


@dataclass(frozen=True)
class PoolNodes:
    """Distinct (program, pool) nodes used by a set of arcs, and each arc's node."""

    of_arc: IntArray
    program: IntArray
    pool: IntArray

    @staticmethod
    def of(program: IntArray, pool: npt.NDArray[np.int8]) -> PoolNodes:
        """Number the (program, pool) combinations that appear in the arcs."""
        key = program.astype(np.int64) * 3 + pool
        uniq, inverse = np.unique(key, return_inverse=True)
        return PoolNodes(inverse.astype(np.int64), uniq // 3, uniq % 3)


def max_profit_assignment(
    need: IntArray,
    node: IntArray,
    profit: IntArray,
    node_capacity: IntArray,
    n_needs: int,
) -> BoolArray:
    """Arcs of a maximum-total-profit assignment: each need at most once, nodes within capacity.

    Arcs with a profit <= 0 are never worth taking and are left out of the network.
    """
    chosen = np.zeros(len(need), dtype=bool)
    keep = np.flatnonzero(profit > 0)
    if len(keep) == 0:
        return chosen
    n_nodes = len(node_capacity)
    sink = n_needs + n_nodes
    tails = np.concatenate([need[keep], n_needs + np.arange(n_nodes), np.arange(n_needs)])
    heads = np.concatenate([n_needs + node[keep], np.full(n_nodes, sink), np.full(n_needs, sink)])
    caps = np.concatenate([np.ones(len(keep)), node_capacity, np.ones(n_needs)]).astype(np.int64)
    costs = np.concatenate([-profit[keep], np.zeros(n_nodes + n_needs, dtype=np.int64)])
    supplies = np.concatenate([np.ones(n_needs), np.zeros(n_nodes), [-n_needs]]).astype(np.int64)
    flows = _solve(tails, heads, caps, costs, supplies)
    chosen[keep] = flows[: len(keep)] > 0
    return chosen


def fixed_count_assignment(
    need: IntArray,
    node: IntArray,
    cost: IntArray,
    node_capacity: IntArray,
    group_of_need: IntArray,
    group_size: IntArray,
) -> BoolArray:
    """Arcs of a least-cost assignment that places exactly ``group_size[k]`` needs of group k.

    Used for level 4: the counts (acute, other) are fixed at their optimum, so
    only *which* needs and *where* change. Raises ``FlowError`` when infeasible.
    """
    n_needs = len(group_of_need)
    n_nodes = len(node_capacity)
    n_groups = len(group_size)
    chosen = np.zeros(len(need), dtype=bool)
    if len(need) == 0 or group_size.sum() == 0:
        return chosen
    sources = n_needs + n_nodes + np.arange(n_groups)
    sink = n_needs + n_nodes + n_groups
    tails = np.concatenate([need, n_needs + np.arange(n_nodes), sources[group_of_need]])
    heads = np.concatenate([n_needs + node, np.full(n_nodes, sink), np.arange(n_needs)])
    caps = np.concatenate([np.ones(len(need)), node_capacity, np.ones(n_needs)]).astype(np.int64)
    costs = np.concatenate([cost, np.zeros(n_nodes + n_needs, dtype=np.int64)])
    supplies = np.concatenate(
        [np.zeros(n_needs + n_nodes), group_size, [-group_size.sum()]]
    ).astype(np.int64)
    flows = _solve(tails, heads, caps, costs, supplies)
    chosen[:] = flows[: len(need)] > 0
    return chosen


def _solve(
    tails: IntArray, heads: IntArray, caps: IntArray, costs: IntArray, supplies: IntArray
) -> IntArray:
    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs
    )
    mcf.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise FlowError(f"min-cost flow ended with status {status}")
    return np.asarray(mcf.flows(arcs), dtype=np.int64)
