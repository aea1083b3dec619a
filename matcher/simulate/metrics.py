"""What each policy achieved, and a re-check that it displaced nobody.

``displaced`` is recounted from the outcome alone, not trusted from the
policy: replaying the placements day by day, each must find a place of its
node that exists that day and that no earlier placement took (the slot that
vanishes soonest, which is optimal for points in intervals), while its need
waits. A placement that finds none took a place owed to someone else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.rules.tables import IntArray
from matcher.simulate.horizon import Horizon
from matcher.simulate.policies import UNMET, Outcome


def displaced(horizon: Horizon, outcome: Outcome) -> int:
    """Placements with no unused place of their node that day (see the module docstring)."""
    h = horizon
    met = np.flatnonzero(outcome.day != UNMET)
    used = np.zeros(len(h.slot_node), dtype=bool)
    bad = 0
    for need in met[np.argsort(outcome.day[met], kind="stable")].tolist():
        day = int(outcome.day[need])
        arc = int(outcome.arc[need])
        waits = h.need_arrive[need] <= day < h.need_exit[need]
        free = np.flatnonzero(
            (h.slot_node == h.node[arc]) & (h.slot_appear <= day) & (day < h.slot_vanish) & ~used
        )
        if not waits or h.arcs.need[arc] != need or len(free) == 0:
            bad += 1
            continue
        used[free[np.argmin(h.slot_vanish[free])]] = True
    return bad


def _spread(days: IntArray) -> dict[str, float | None]:
    if len(days) == 0:
        return {"median": None, "p90": None}
    return {
        "median": round(float(np.median(days)), 2),
        "p90": round(float(np.percentile(days, 90)), 2),
    }


def summary(horizon: Horizon, outcome: Outcome) -> dict[str, Any]:
    """Acute needs met, needs met, spend (dollars), displaced, days waited of met needs."""
    h = horizon
    met = outcome.day != UNMET
    acute = h.tables.needs.acute
    waited = outcome.day - h.need_arrive
    return {
        "acute_met": int((met & acute).sum()),
        "needs_met": int(met.sum()),
        "spend": float(h.cents[outcome.arc[met]].sum()) / 100,
        "displaced": displaced(h, outcome),
        "days_waited": {
            "acute": _spread(waited[met & acute]),
            "other": _spread(waited[met & ~acute]),
        },
    }


def ratio(value: int, best: int) -> float:
    """``value / best``, 1.0 when the best is 0 (nothing could be met)."""
    return round(value / best, 4) if best else 1.0
