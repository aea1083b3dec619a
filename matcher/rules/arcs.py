"""Candidate arcs: every (need, program, pool) the hard rules and the pools allow.

An arc exists when the program offers one of the need's types (service), the
pair breaks no rule of families 2-5, and the pool has room at all. The solver
chooses among arcs only, so every answer obeys the hard rules by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.capacity.pools import Pool, Pools
from matcher.rules.geography import pair_distance_km
from matcher.rules.profiles import profiles
from matcher.rules.registry import PAIR_FREE_RULES, PairFrame, first_broken
from matcher.rules.service import type_pairs
from matcher.rules.tables import FloatArray, IntArray, Tables


@dataclass(frozen=True)
class Pairs:
    """Need-program pairs with their distances (and, optionally, first broken rule)."""

    need: IntArray
    program: IntArray
    distance_km: FloatArray
    broken: npt.NDArray[np.int8]

    def of_needs(self, needs: IntArray, n_needs: int) -> Pairs:
        """The pairs of ``needs`` only (of ``n_needs`` in all), in the same order."""
        wanted = np.zeros(n_needs, dtype=bool)
        wanted[needs] = True
        keep = wanted[self.need]
        return Pairs(self.need[keep], self.program[keep], self.distance_km[keep], self.broken[keep])


@dataclass(frozen=True)
class Arcs:
    """Candidate arcs as parallel columns, sorted by (need, program, pool)."""

    need: IntArray
    program: IntArray
    pool: npt.NDArray[np.int8]
    price: FloatArray
    distance_km: FloatArray

    def __len__(self) -> int:
        return len(self.need)

    def take(self, mask: npt.NDArray[np.bool_] | IntArray) -> Arcs:
        """The arcs selected by a mask or an index array."""
        return Arcs(
            self.need[mask],
            self.program[mask],
            self.pool[mask],
            self.price[mask],
            self.distance_km[mask],
        )


def evaluate_pairs(tables: Tables, needs: IntArray | None = None, *, reach: bool = True) -> Pairs:
    """Type-sharing pairs of ``needs`` with distance and the first rule each breaks."""
    n, g = type_pairs(tables, needs, reach=reach)
    p = tables.needs.participant[n]
    distance = pair_distance_km(tables.participants, tables.programs, p, g)
    frame = PairFrame(tables.participants, tables.programs, p, g, distance, tables.needs, n)
    # Barriers and eligibility by profile, one lookup per pair; the rest pair by pair.
    free = profiles(tables).first_broken(p, g)
    return Pairs(n, g, distance, first_broken(frame, after=PAIR_FREE_RULES, code=free))


def candidate_arcs(tables: Tables, pools: Pools, pairs: Pairs | None = None) -> Arcs:
    """All arcs the rules allow, one per pool with room at the pair's program (the
    ``waitlist_turn`` pool only for the participant whose turn it is). ``pairs`` is
    ``evaluate_pairs(tables)`` when the caller already has it."""
    if pairs is None:
        pairs = evaluate_pairs(tables)
    ok = pairs.broken == 0
    n, g, d = pairs.need[ok], pairs.program[ok], pairs.distance_km[ok]
    has_room = np.empty((len(n), len(Pool)), dtype=bool)
    for pool in Pool:
        room = pools.size(pool)[g] > 0
        if pool is Pool.WAITLIST_TURN and room.any():
            room &= pools.has_turn(tables.needs.participant[n], g)
        has_room[:, pool] = room
    # Row-major: arcs in (pair, pool) order, which is (need, program, pool) order when the
    # pairs come sorted by (need, program), as ``evaluate_pairs`` returns them.
    flat = np.flatnonzero(has_room)
    idx, pool_col = flat // len(Pool), (flat % len(Pool)).astype(np.int8)
    key = n[idx] * (int(g.max()) + 1) + g[idx] if len(idx) else idx
    if not bool((key[1:] >= key[:-1]).all()):
        order = np.lexsort((pool_col, g[idx], n[idx]))
        idx, pool_col = idx[order], pool_col[order]
    price = np.where(pool_col == Pool.PURCHASE, pools.price[g[idx]], 0.0)
    return Arcs(n[idx], g[idx], pool_col, price, d[idx])
