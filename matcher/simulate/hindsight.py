"""The hindsight optimum: every event known in advance, one exact offline MILP.

Variables: one binary per (arc, slot) pair that can meet, that is the slot
belongs to the arc's (program, pool) node and the need's waiting window
``[arrive, exit)`` overlaps the slot's window ``[appear, vanish)``: a place
freed at day ``t`` serves needs waiting at ``t`` or later, never one that left.

Rows: each need met at most once; each slot taken at most once; the money. A
purchase may be made on any day the need waits, and a later day never spends
money sooner, so the optimum loses nothing by buying on the need's last waiting
day; then the fund's top-ups give one row each: what is bought on days before
the next top-up fits what has arrived so far.

Without the top-up rows, the problem is the project's own: needs, slots as pool
nodes of one place each, one budget (the whole horizon's money). Its exact levels
(``solve_levels``, min-cost flows) are solved first; when that answer also fits
every top-up row, it is optimal for the horizon (it is optimal for a relaxation).
Otherwise the levels are solved in order with ``scipy.optimize.milp`` (HiGHS,
gap 0): most acute needs met; with that fixed, most needs met; with both fixed,
least spend. A met need counts as served on the first day its place is there
while it waits (``max(arrive, appear)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, vstack

from matcher.rules.tables import IntArray
from matcher.simulate.horizon import Horizon
from matcher.simulate.policies import UNMET, Outcome
from matcher.solver.levels import solve_levels


class HindsightError(RuntimeError):
    """HiGHS ended a level without an optimum (it has no time limit, so this is a bug)."""


@dataclass(frozen=True)
class Pairs:
    """The (arc, slot) pairs that can meet, and the rows they share."""

    arc: IntArray
    slot: IntArray
    need: IntArray
    cents: IntArray
    last_day: IntArray
    """The need's last waiting day (when the optimum buys, for a purchase)."""


def meeting_pairs(horizon: Horizon) -> Pairs:
    """Every (arc, slot) pair whose node is the same and whose windows overlap."""
    h = horizon
    order = np.argsort(h.slot_node, kind="stable")
    start = np.searchsorted(h.slot_node[order], h.node, side="left")
    stop = np.searchsorted(h.slot_node[order], h.node, side="right")
    count = stop - start
    arc = np.repeat(np.arange(len(h.node)), count)
    offset = np.arange(len(arc)) - np.repeat(np.cumsum(count) - count, count)
    slot = order[np.repeat(start, count) + offset]
    need = h.arcs.need[arc]
    first = np.maximum(h.need_arrive[need], h.slot_appear[slot])
    last = np.minimum(h.need_exit[need], h.slot_vanish[slot])
    ok = first < last
    arc, slot, need = arc[ok], slot[ok], need[ok]
    return Pairs(arc, slot, need, h.cents[arc], h.need_exit[need] - 1)


def budget_rows(horizon: Horizon, pairs: Pairs) -> tuple[csr_matrix, IntArray]:
    """One row per top-up: purchases on days before the next top-up within what has come."""
    h = horizon
    days = h.topup_day
    ends = np.append(days[1:], np.iinfo(np.int64).max)
    rows = (pairs.last_day[None, :] < ends[:, None]) * pairs.cents[None, :]
    return csr_matrix(rows.astype(float)), np.cumsum(h.topup_cents)


def once_rows(horizon: Horizon, pairs: Pairs) -> csr_matrix:
    """One row per need and one per slot: each met, or taken, at most once."""
    m = len(pairs.arc)
    cols = np.arange(m)
    ones = np.ones(m)
    per_need = csr_matrix((ones, (pairs.need, cols)), shape=(horizon.tables.needs.size, m))
    per_slot = csr_matrix((ones, (pairs.slot, cols)), shape=(len(horizon.slot_node), m))
    return csr_matrix(vstack([per_need, per_slot]))


def hindsight(horizon: Horizon) -> Outcome:
    """The exact offline optimum of the horizon (see the module docstring)."""
    h = horizon
    pairs = meeting_pairs(h)
    n = h.tables.needs.size
    out = Outcome(np.full(n, UNMET, np.int64), np.full(n, UNMET, np.int64), np.full(n, UNMET))
    if len(pairs.arc) == 0:
        return out
    pick = optimum(h, pairs)
    need = pairs.need[pick]
    slot = pairs.slot[pick]
    out.day[need] = np.maximum(h.need_arrive[need], h.slot_appear[slot])
    out.arc[need] = pairs.arc[pick]
    out.slot[need] = slot
    return out


def optimum(horizon: Horizon, pairs: Pairs) -> IntArray:
    """The pairs of the exact levels over ``pairs``: the min-cost flows with one budget,
    or the MILP with a row per top-up when the flows' answer spends money too soon."""
    money, cumulative = budget_rows(horizon, pairs)
    pick = by_flow(horizon, pairs)
    chosen = np.zeros(len(pairs.arc))
    chosen[pick] = 1
    if (money @ chosen > cumulative).any():
        pick = by_milp(horizon, pairs)
    return pick


def by_flow(horizon: Horizon, pairs: Pairs) -> IntArray:
    """The pairs of the exact levels with one budget for the whole horizon (a relaxation)."""
    slots = len(horizon.slot_node)
    levels = solve_levels(
        pairs.need,
        pairs.slot,
        np.ones(slots, dtype=np.int64),
        pairs.cents,
        horizon.tables.needs.acute,
        horizon.total_budget_cents,
        math.inf,
    )
    return np.flatnonzero(levels.chosen)


def by_milp(horizon: Horizon, pairs: Pairs) -> IntArray:
    """The pairs of the lexicographic MILP with a row per top-up."""
    h = horizon
    m = len(pairs.arc)
    ones = np.ones(m)
    money, cumulative = budget_rows(h, pairs)
    acute = h.tables.needs.acute[pairs.need].astype(float)
    rows = [
        LinearConstraint(once_rows(h, pairs), -np.inf, 1),
        LinearConstraint(money, -np.inf, cumulative.astype(float)),
    ]
    levels = (-acute, -ones, pairs.cents.astype(float))
    x = np.zeros(m)
    for k, c in enumerate(levels):
        res = milp(
            c,
            constraints=rows,
            integrality=np.ones(m),
            bounds=Bounds(0, 1),
            options={"mip_rel_gap": 0.0},
        )
        if res.status != 0 or res.x is None:
            raise HindsightError(f"level {k + 1}: {res.message}")
        x = res.x
        if k < len(levels) - 1:
            best = round(float(-c @ x))
            rows.append(LinearConstraint(-c[None, :], best, np.inf))
    return np.flatnonzero(x > 0.5)
