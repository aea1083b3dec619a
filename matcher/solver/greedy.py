"""The non-displacing greedy: a feasible answer in one pass, the solver's floor and warm start.

Acute needs first, then the others by rank (every participant's rank-1 need before
anyone's rank-2 need; ties in scenario order). Each need takes, among its candidate
arcs (which already respect every hard rule and every pool, so nothing it takes is
owed to someone waiting), the participant's own waitlist turn if it has come, else the
nearest unused general place, else the nearest ``lead_reserved`` place, else the
cheapest purchase the remaining budget can pay for (nearest among equal prices).
Ties in distance go to the program listed first.

This is the ``greedy, non-displacing`` baseline of ``docs/benchmarks.md`` (which
``benchmarks.greedy`` runs), extended by waitlist turns. When a time limit stops
the exact search, the solver answers with the better of the two, so a time-limited
answer is never worse than this greedy and never empty when the greedy is not.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from matcher.capacity.pools import PREFERENCE
from matcher.rules.arcs import Arcs
from matcher.rules.tables import IntArray, Tables

BoolArray = npt.NDArray[np.bool_]

_POOL_RANK = np.argsort(np.array(PREFERENCE, dtype=np.int64)).astype(np.int64)


def need_order(tables: Tables) -> IntArray:
    """Acute needs first, then by the participant's rank, ties in scenario order."""
    needs = tables.needs
    position = np.arange(needs.size)
    return np.asarray(np.lexsort((position, needs.rank, ~needs.acute)), dtype=np.int64)


def greedy(
    tables: Tables,
    arcs: Arcs,
    node: IntArray,
    node_capacity: IntArray,
    cents: IntArray,
    budget_cents: int,
) -> BoolArray:
    """The greedy's arcs (see the module docstring); ``node`` is each arc's pool node,
    ``cents`` each arc's price in whole cents, rounded as the exact levels round it."""
    order = np.lexsort(
        (arcs.program, arcs.distance_km, cents, _POOL_RANK[arcs.pool], arcs.need)
    ).astype(np.int64)
    counts = np.bincount(arcs.need, minlength=tables.needs.size)
    start = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    # Plain lists: one need at a time touches a handful of arcs, and list indexing is
    # far cheaper than numpy's per-element access at that size.
    arc_node = node[order].tolist()
    arc_cost = cents[order].tolist()
    left = node_capacity.tolist()
    first = start.tolist()
    budget = budget_cents
    taken: list[int] = []
    for n in need_order(tables).tolist():
        for i in range(first[n], first[n + 1]):
            k = arc_node[i]
            if left[k] > 0 and arc_cost[i] <= budget:
                left[k] -= 1
                budget -= arc_cost[i]
                taken.append(i)
                break
    chosen = np.zeros(len(arcs), dtype=bool)
    chosen[order[np.array(taken, dtype=np.int64)]] = True
    return chosen
