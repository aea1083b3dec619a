"""One snapshot of the queue decided by the project's own solver.

The needs waiting now, the places there now (a count per (program, pool) node)
and the money left: levels 1-3 exact with ``solve_levels`` (warm-started from the
non-displacing greedy, as ``matcher.solver.solve`` does), then level 4 with the
participants' preferences plus, for the ``priced`` policy, each node's
potential. The arcs, rules and pools are the horizon's candidate arcs, so a
snapshot obeys every hard rule and takes only places that exist now.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from matcher.rules.tables import IntArray
from matcher.simulate.horizon import Horizon
from matcher.solver.flow import PoolNodes
from matcher.solver.greedy import greedy
from matcher.solver.levels import solve_levels
from matcher.solver.solve import keep_levels_prefer

BoolArray = npt.NDArray[np.bool_]


def decide(
    horizon: Horizon,
    waiting: BoolArray,
    room: IntArray,
    budget_cents: int,
    potential: IntArray | None = None,
    among: IntArray | None = None,
    need_potential: IntArray | None = None,
) -> IntArray:
    """Indices of the horizon's arcs the snapshot takes (one per need met at most).

    ``waiting`` is per need, ``room`` per node (places there now), ``potential``
    per node: a level-4 cost added ahead of the preferences, so among answers
    equal on levels 1-3 the one that spends the least valuable places wins.
    ``need_potential``, per need, is added likewise for every arc of the need.
    ``among``, when given, holds every arc of the waiting needs (a shortcut for a
    snapshot of a few needs; the answer is the same).
    """
    idx = np.arange(len(horizon.node)) if among is None else among
    need, node = horizon.arcs.need[idx], horizon.node[idx]
    idx = idx[waiting[need] & (room[node] > 0) & (horizon.cents[idx] <= budget_cents)]
    if len(idx) == 0:
        return idx
    arcs = horizon.arcs.take(idx)
    node = horizon.node[idx]
    cents = horizon.cents[idx]
    tables = horizon.tables
    warm = greedy(tables, arcs, node, room, cents, budget_cents)
    levels = solve_levels(
        arcs.need, node, room, cents, tables.needs.acute, budget_cents, math.inf, warm
    )
    penalty = horizon.penalty[idx]
    if potential is not None:
        penalty = penalty + potential[node]
    if need_potential is not None:
        penalty = penalty + need_potential[arcs.need]
    nodes = PoolNodes(node, horizon.node_program, horizon.node_pool)
    chosen = keep_levels_prefer(tables, arcs, nodes, room, levels.chosen, penalty)
    return idx[chosen]
