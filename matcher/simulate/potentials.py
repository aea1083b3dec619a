"""Potentials: what a place at each (program, pool) node is worth to the needs to come.

Learned from history (a horizon on the same programs with other participants,
``history_horizon``): the LP relaxation of that horizon's hindsight problem,
with an acute need worth ``ACUTE_WEIGHT`` and any other need 1, has a dual
value for every slot, the value lost if that place were gone. A node's
potential is the mean dual of its slots, scaled to whole points and placed
ahead of the preferences at level 4 (it never changes levels 1-3).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import vstack

from matcher.rules.tables import IntArray
from matcher.simulate.hindsight import budget_rows, meeting_pairs, once_rows
from matcher.simulate.horizon import Horizon
from matcher.solver.preferences import MAX_PENALTY

ACUTE_WEIGHT = 10.0
STEPS = 100
"""Potentials are whole hundredths of an acute need's worth."""


def slot_duals(horizon: Horizon) -> np.ndarray:
    """Per slot, the dual value of its row in the weighted LP relaxation (>= 0)."""
    h = horizon
    pairs = meeting_pairs(h)
    m = len(pairs.arc)
    n_slots = len(h.slot_node)
    if m == 0:
        return np.zeros(n_slots)
    n = h.tables.needs.size
    money, cumulative = budget_rows(h, pairs)
    weight = np.where(h.tables.needs.acute[pairs.need], ACUTE_WEIGHT, 1.0)
    res = linprog(
        -weight,
        A_ub=vstack([once_rows(h, pairs), money]).tocsr(),
        b_ub=np.concatenate([np.ones(n + n_slots), cumulative.astype(float)]),
        bounds=(0, 1),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"potentials LP: {res.message}")
    return np.asarray(-res.ineqlin.marginals[n : n + n_slots])


def potentials(history: Horizon, horizon: Horizon) -> IntArray:
    """Per node of ``horizon``: the potential learned from ``history`` in level-4 points.

    Nodes are matched by (program, pool); a node history never saw is worth 0.
    """
    duals = slot_duals(history)
    nodes = len(history.node_program)
    total = np.bincount(history.slot_node, weights=duals, minlength=nodes)
    count = np.bincount(history.slot_node, minlength=nodes)
    mean = np.divide(total, count, out=np.zeros(nodes), where=count > 0)
    points = np.rint(mean / ACUTE_WEIGHT * STEPS).astype(np.int64) * MAX_PENALTY
    learned = dict(
        zip(
            zip(history.node_program.tolist(), history.node_pool.tolist(), strict=True),
            points.tolist(),
            strict=True,
        )
    )
    keys = zip(horizon.node_program.tolist(), horizon.node_pool.tolist(), strict=True)
    return np.array([learned.get(k, 0) for k in keys], dtype=np.int64)
