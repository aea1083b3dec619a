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
# Needs in the first block; each block after it is twice as large.
_FIRST_BLOCK = 4096


def need_order(tables: Tables) -> IntArray:
    """Acute needs first, then by the participant's rank, ties in scenario order."""
    needs = tables.needs
    position = np.arange(needs.size)
    return np.asarray(np.lexsort((position, needs.rank, ~needs.acute)), dtype=np.int64)


def arc_order(turn: IntArray, arcs: Arcs, cents: IntArray) -> IntArray:
    """Arcs sorted by (``turn``, pool preference, price, distance, program).

    The same permutation as one ``np.lexsort`` over those five columns, which at scale
    spends seconds on the float column: here the distances become dense integer ranks
    (one unstable float sort), and the columns are packed into one 64-bit key sorted
    stably over arcs already in (need, program) order, so the program breaks the ties
    that remain. Falls back to the plain ``lexsort`` when the key would not fit.
    """
    distance = arcs.distance_km
    size = len(turn)
    if size == 0 or (cents < 0).any() or not np.isfinite(distance).all():
        return _lexsort_order(turn, arcs, cents)
    base = _by_need_and_program(arcs)
    dist = distance[base]
    by_distance = np.argsort(dist)
    step = np.empty(size, dtype=np.int64)
    step[0] = 0
    np.not_equal(dist[by_distance[1:]], dist[by_distance[:-1]], out=step[1:])
    d_rank = np.empty(size, dtype=np.int64)
    d_rank[by_distance] = np.cumsum(step)
    paid = cents[base]
    prices = np.unique(paid)
    price_rank = np.searchsorted(prices, paid)
    t = turn[base].astype(np.int64)
    widths = [int(t.max()).bit_length(), 2, len(prices).bit_length(), size.bit_length()]
    if sum(widths) > 63:
        return _lexsort_order(turn, arcs, cents)
    key = t
    for width, column in zip(
        widths[1:], (_POOL_RANK[arcs.pool[base]], price_rank, d_rank), strict=True
    ):
        key = (key << width) | column.astype(np.int64)
    return np.asarray(base[np.argsort(key, kind="stable")], dtype=np.int64)


def _by_need_and_program(arcs: Arcs) -> IntArray:
    """The permutation sorting arcs by (need, program): the identity for the solver's arcs."""
    key = arcs.need.astype(np.int64) * (int(arcs.program.max()) + 1) + arcs.program
    if bool((key[1:] >= key[:-1]).all()):
        return np.arange(len(key), dtype=np.int64)
    return np.asarray(np.argsort(key, kind="stable"), dtype=np.int64)


def _lexsort_order(turn: IntArray, arcs: Arcs, cents: IntArray) -> IntArray:
    order = np.lexsort((arcs.program, arcs.distance_km, cents, _POOL_RANK[arcs.pool], turn))
    return np.asarray(order, dtype=np.int64)


def greedy(
    tables: Tables,
    arcs: Arcs,
    node: IntArray,
    node_capacity: IntArray,
    cents: IntArray,
    budget_cents: int,
    start: BoolArray | None = None,
    eligible: BoolArray | None = None,
) -> BoolArray:
    """The greedy's arcs (see the module docstring); ``node`` is each arc's pool node,
    ``cents`` each arc's price in whole cents, rounded as the exact levels round it.

    From ``start`` (arcs already chosen, within every pool and the budget), the greedy
    only adds: their needs stay as they are, their places and money are spent, and
    the needs left take what remains. ``eligible`` (per need) limits which needs may
    be added.

    Needs are taken in blocks. Between blocks, the arcs a later need could no longer
    take (their pool node full, or their price above the budget left) are dropped in
    one vectorised step: room and budget only shrink, so a dropped arc could never
    have been taken, and the answer is the one-need-at-a-time greedy's. At scale most
    arcs die early, and the Python loop walks only the live ones.
    """
    position = np.empty(tables.needs.size, dtype=np.int64)
    position[need_order(tables)] = np.arange(tables.needs.size)
    order = arc_order(position[arcs.need], arcs, cents)
    room = node_capacity.astype(np.int64)
    budget = budget_cents
    if start is not None or eligible is not None:
        open_ = np.ones(tables.needs.size, dtype=bool) if eligible is None else eligible.copy()
        if start is not None:
            room = room - np.bincount(node[start], minlength=len(room))
            budget -= int(cents[start].sum())
            open_[arcs.need[start]] = False
        order = order[open_[arcs.need[order]]]
    turn = position[arcs.need[order]]
    arc_node = node[order]
    arc_cost = cents[order]
    left = room.tolist()
    taken: list[int] = []
    done = 0
    block = _FIRST_BLOCK
    while len(turn):
        # Arcs of the next ``block`` needs (in greedy order), as plain lists: one need
        # touches a handful of arcs, and list indexing beats numpy's per element.
        end = int(np.searchsorted(turn, done + block))
        rows = turn[:end].tolist()
        nodes_ = arc_node[:end].tolist()
        costs = arc_cost[:end].tolist()
        last = -1
        for i in range(end):
            if rows[i] == last:
                continue  # this need is met already
            k = nodes_[i]
            if left[k] > 0 and costs[i] <= budget:
                left[k] -= 1
                budget -= costs[i]
                taken.append(int(order[i]))
                last = rows[i]
        done += block
        block *= 2
        live = np.asarray(left, dtype=np.int64)[arc_node[end:]] > 0
        live &= arc_cost[end:] <= budget
        keep = end + np.flatnonzero(live)
        order, turn, arc_node, arc_cost = order[keep], turn[keep], arc_node[keep], arc_cost[keep]
    chosen = np.zeros(len(arcs), dtype=bool) if start is None else start.copy()
    chosen[np.array(taken, dtype=np.int64)] = True
    return chosen
