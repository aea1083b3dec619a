"""Levels 1-3 of the objective, one after another, each exact.

1. Acute needs only (others gated shut): most acute needs met within budget
   (``budget.maximise_within_budget``) -> ``A*``.
2. Acute needs gated to exactly ``A*``; most other needs met within budget.
3. Both counts gated to their optimum: least spend, one min-cost flow (the
   budget cannot bind: the answer of step 2 already fits it). Skipped when
   step 2's answer is itself a maximiser of the priced value at its ``lam* > 0``:
   then no answer with the same counts spends less.

The deadline is checked between flows (one flow is never interrupted), and a flow
that would likely end past it is not started (``flow.Clock``): past it,
the best answer within budget found so far is returned, unproven, with the
bounds proven so far. A ``warm`` answer (the greedy's) is where each level starts:
the answer is never worse than it on the level where the search stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from matcher.rules.tables import IntArray
from matcher.solver.budget import Stage, maximise_within_budget
from matcher.solver.flow import FREE, Clock, OutOfTime

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LevelsOutcome:
    """The chosen arcs, whether levels 1-3 are proven, and the proven bounds."""

    chosen: BoolArray
    proven: bool
    acute_bound: int
    matched_bound: int
    spend_bound_cents: int
    flows: int


def solve_levels(
    need: IntArray,
    node: IntArray,
    node_capacity: IntArray,
    cents: IntArray,
    acute: BoolArray,
    budget_cents: int,
    deadline: float,
    warm: BoolArray | None = None,
    clock: Clock | None = None,
    fill: Callable[[BoolArray], BoolArray] | None = None,
) -> LevelsOutcome:
    """Levels 1-3 over the given arcs; ``acute`` is per need, ``cents`` per arc.

    ``warm``, a choice of arcs within every pool and the budget, is the fallback of
    each level while its search has not found better. ``clock`` (by default one with
    ``deadline``) refuses flows that would end past the deadline. ``fill`` adds to a
    choice of arcs what the greedy can still place of the needs that are not acute: when
    the deadline cuts level 2 short, level 1's answer so filled is its floor.
    """
    # Count money in the largest unit that divides every price (exact, and smaller
    # costs make every flow faster); the budget rounds down to that unit.
    paid = cents[cents > 0]
    unit = int(np.gcd.reduce(paid)) if len(paid) else 1
    cents = cents // unit
    budget_cents = budget_cents // unit
    n_needs = len(acute)
    arc_acute = acute[need]
    free = np.full(n_needs, FREE, dtype=np.int64)
    base = Stage(
        need,
        node,
        node_capacity,
        cents,
        free,
        np.zeros(0, np.int64),
        arc_acute * 1,
        Clock(deadline) if clock is None else clock,
    )

    # Level 1: acute needs only (the others have no arc, so nothing to decide).
    only = np.flatnonzero(arc_acute)
    level1 = base.take(only)
    acute_reachable = _distinct(need[only], n_needs)
    start = None if warm is None else level1.point(warm[only])
    first = maximise_within_budget(level1, budget_cents, deadline, start, acute_reachable)
    met_acute = first.best.value
    so_far = np.zeros(len(need), dtype=bool)
    so_far[only[first.best.chosen]] = True

    # Level 2: exactly that many acute needs, then as many others as possible.
    level2 = replace(
        base,
        gate=np.where(acute, 0, FREE),
        gate_supply=np.array([met_acute], dtype=np.int64),
        value=(~arc_acute) * 1,
    )
    others_reachable = _distinct(need[~arc_acute], n_needs)
    matched_bound = first.bound + others_reachable
    if warm is not None and int(arc_acute[warm].sum()) == met_acute:
        so_far = warm  # the warm answer meets exactly the acute needs level 2 keeps
    second = maximise_within_budget(
        level2, budget_cents, deadline, level2.point(so_far), others_reachable, first.lam
    )
    if not second.proven and fill is not None and so_far is not warm:
        filled = level2.point(fill(so_far))
        if filled.value > second.best.value:
            second = replace(second, best=filled)
    met_other = second.best.value
    proven = first.proven and second.proven
    flows = first.flows + second.flows
    outcome = LevelsOutcome(
        chosen=second.best.chosen,
        proven=False,
        acute_bound=first.bound,
        matched_bound=met_acute + second.bound if first.proven else matched_bound,
        spend_bound_cents=0,
        flows=flows,
    )
    if proven and second.least_spend:
        # Level 2's answer already spends least for its counts (see budget.Outcome).
        return replace(outcome, proven=True, spend_bound_cents=second.best.spend * unit)
    if time.monotonic() > deadline:
        return outcome

    # Level 3: both counts fixed; least spend (the budget cannot bind any more).
    level3 = replace(
        base,
        gate=np.where(acute, 0, 1),
        gate_supply=np.array([met_acute, met_other], dtype=np.int64),
    )
    try:
        third = level3.cheapest(cents)
    except OutOfTime:
        return outcome
    return replace(
        outcome,
        chosen=third.chosen,
        proven=proven,
        spend_bound_cents=third.spend * unit if proven else 0,
        flows=flows + 1,
    )


def _distinct(ids: IntArray, size: int) -> int:
    """How many distinct ids (below ``size``): ``len(np.unique(ids))`` without a sort."""
    seen = np.zeros(size, dtype=bool)
    seen[ids] = True
    return int(seen.sum())
