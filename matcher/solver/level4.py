"""Potentials at level 4: points ahead of the preferences, so among answers equal on
levels 1-3 the one that spends the places least likely to be wanted soon wins.

Two terms, added to every candidate arc's preference penalty (``arc_penalty``):

- the arc's **node** (program, pool): the chance, in whole hundredths, that an acute
  need comes for a place there before the place is gone;
- the arc's **need**: the chance that another place comes for it during a typical
  stay, from the place rates of the (program, pool)s its candidate arcs reach: a
  need with many ways to a place can better wait than one with few. Only the arcs
  of the answer's scenario count (pools with room now), so a part of the queue
  (``matcher.part``, which holds every program with room its needs reach) prices a
  need as the whole queue does.

Each hundredth is worth ``MAX_PENALTY`` points, more than any preference sum, so
potentials decide first and preferences break their ties. Levels 1-3 are solved
before and kept by ``keep_levels_prefer``: potentials never change them.
The learning lives with its callers (``matcher.simulate.potentials`` for a horizon,
``matcher.service.potentials`` for the live queue); this module only prices arcs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from matcher.capacity.pools import Pool
from matcher.rules.arcs import Arcs
from matcher.rules.tables import FloatArray, IntArray, Tables
from matcher.solver.preferences import MAX_PENALTY

STEPS = 100
"""Level-4 potentials are whole hundredths of a chance, each ahead of every preference."""

PLACE_POOLS = (Pool.GENERAL, Pool.LEAD_RESERVED, Pool.PURCHASE)
"""Pools whose places come and go; a participant's own waitlist turn has no potential."""

NodeKey = tuple[str, int]
"""(program id, ``Pool`` value)."""


def points_of(chance: float | FloatArray) -> IntArray:
    """A chance (0-1) as level-4 points: whole hundredths, each ``MAX_PENALTY``."""
    return np.asarray(np.rint(np.asarray(chance) * STEPS), dtype=np.int64) * MAX_PENALTY


@dataclass(frozen=True)
class Level4:
    """What the level-4 term is made of: points per node, place rates per node (places
    per day) and the typical stay in days (for the needs' term)."""

    node_points: Mapping[NodeKey, int] = field(default_factory=dict)
    place_rates: Mapping[NodeKey, float] = field(default_factory=dict)
    stay_days: float = 0.0

    def points(self, tables: Tables, arcs: Arcs) -> IntArray:
        """Per arc: its node's points plus its need's points."""
        ids = tables.programs.ids
        index = {pid: j for j, pid in enumerate(ids)}
        grid = np.zeros((len(ids), len(Pool)), dtype=np.int64)
        rate = np.zeros((len(ids), len(Pool)), dtype=np.float64)
        for (pid, pool), pts in self.node_points.items():
            if pid in index:
                grid[index[pid], pool] = pts
        for (pid, pool), per_day in self.place_rates.items():
            if pid in index and pool in PLACE_POOLS:
                rate[index[pid], pool] = per_day
        ways = np.bincount(
            arcs.need, weights=rate[arcs.program, arcs.pool], minlength=tables.needs.size
        )
        need = points_of(1.0 - np.exp(-ways * self.stay_days))
        return np.asarray(grid[arcs.program, arcs.pool] + need[arcs.need], dtype=np.int64)
