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


def turn_order(turn: IntArray) -> IntArray:
    """The arcs grouped by ``turn``, in their own order within a turn (a stable sort).

    The solver's arcs come grouped by need, so each turn's arcs are one run: the runs
    are ordered (one sort of a value per need) and laid end to end, in linear time.
    Falls back to the stable sort when a turn's arcs are not one run.
    """
    size = len(turn)
    starts = np.flatnonzero(np.concatenate([[True], turn[1:] != turn[:-1]])) if size else turn
    by_run = np.argsort(turn[starts], kind="stable")
    if not bool((np.diff(turn[starts][by_run]) > 0).all()):
        return np.asarray(np.argsort(turn, kind="stable"), dtype=np.int64)
    lengths = np.diff(np.append(starts, size))[by_run]
    shift = starts[by_run] - (np.cumsum(lengths) - lengths)
    return np.asarray(np.repeat(shift, lengths) + np.arange(size), dtype=np.int64)


def preference_order(turn: IntArray, arcs: Arcs, cents: IntArray, idx: IntArray) -> IntArray:
    """The arcs ``idx`` sorted by (``turn``, pool preference, price, distance, program),
    ``turn`` given per arc of ``idx``. Distinct arcs differ in (need, program, pool), so
    the order is total and does not depend on the order of ``idx``."""
    order = np.lexsort(
        (arcs.program[idx], arcs.distance_km[idx], cents[idx], _POOL_RANK[arcs.pool[idx]], turn)
    )
    return np.asarray(idx[order], dtype=np.int64)


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
    arcs die early: only a block's live arcs are sorted by preference (at state scale
    about 200,000 of 2.7 million), and the Python loop walks only those.
    """
    position = np.empty(tables.needs.size, dtype=np.int64)
    position[need_order(tables)] = np.arange(tables.needs.size)
    order = turn_order(position[arcs.need])
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
        # Arcs of the next ``block`` needs in greedy order, as plain lists: one need
        # touches a handful of arcs, and list indexing beats numpy's per element.
        end = int(np.searchsorted(turn, done + block))
        ahead = preference_order(turn[:end], arcs, cents, order[:end])
        rows = position[arcs.need[ahead]].tolist()
        nodes_ = node[ahead].tolist()
        costs = cents[ahead].tolist()
        picks = ahead.tolist()
        last = -1
        for i in range(end):
            if rows[i] == last:
                continue  # this need is met already
            k = nodes_[i]
            if left[k] > 0 and costs[i] <= budget:
                left[k] -= 1
                budget -= costs[i]
                taken.append(picks[i])
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
