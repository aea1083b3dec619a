"""The service rule and pair generation: which programs offer any of a need's types.

Pairs are generated per service type, never per need-program pair in Python:
for each type, the needs asking for it meet the programs offering it, either as
a full cross product or, when ``reach`` is set, only within the participant's
travel limit through a k-d tree over unit vectors (a superset of the exact
great-circle test, which the geography rule then applies). A need listing two
types that one program both offers yields one pair.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

from matcher.rules.geography import EARTH_RADIUS_KM, haversine_km
from matcher.rules.tables import BoolArray, FloatArray, IntArray, Tables

_SLACK = 1e-9
# Below this many candidate pairs of one type, a dense distance check beats building a tree
# (and a small instance never pays for importing scipy.spatial). At state scale a tree per
# type halves pair generation against dense checks of up to 2 million pairs each.
_DENSE_PAIRS = 200_000


def _unit_vectors(lat: FloatArray, lon: FloatArray) -> FloatArray:
    phi = np.radians(lat)
    lmb = np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)])


def _type_members(bits: np.ndarray, t: int) -> BoolArray:
    word = bits[:, t // 64]
    return np.asarray((word >> np.uint64(t % 64)) & np.uint64(1)).astype(bool)


def offers_type(tables: Tables, need: IntArray, program: IntArray) -> BoolArray:
    """``service``: per pair, does the program offer any of the need's types?"""
    both = tables.needs.types[need] & tables.programs.types[program]
    return np.asarray((both != 0).any(axis=1))


def programs_of_type_count(tables: Tables, need: IntArray) -> IntArray:
    """How many programs offer any type of each need (0 means ``no_program_of_type``)."""
    progs = tables.programs.types
    out = np.zeros(len(need), dtype=np.int64)
    for start in range(0, len(need), 2048):
        block = tables.needs.types[need[start : start + 2048]]
        hits = ((block[:, None, :] & progs[None, :, :]) != 0).any(axis=2)
        out[start : start + 2048] = hits.sum(axis=1)
    return out


def type_pairs(
    tables: Tables, needs: IntArray | None = None, *, reach: bool = True
) -> tuple[IntArray, IntArray]:
    """Every (need, program) pair that shares a service type, sorted and unique.

    ``needs`` restricts to those needs (default: all). With ``reach``, pairs beyond
    a participant's ``max_distance_km`` are skipped early; without it every pair of
    the type is returned (explanations need those too).
    """
    n_needs = tables.needs.size
    chosen = np.arange(n_needs) if needs is None else np.asarray(needs, dtype=np.int64)
    n_prog = tables.programs.size
    if len(chosen) == 0 or n_prog == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    people = tables.participants
    owner = tables.needs.participant[chosen]
    limit = people.max_distance_km[owner]
    need_types = tables.needs.types[chosen]
    need_xyz: FloatArray | None = None  # built only if a type is large enough for the tree
    prog_xyz: FloatArray | None = None
    keys: list[IntArray] = []
    for t in range(len(tables.type_vocab.codes)):
        progs_t = np.flatnonzero(_type_members(tables.programs.types, t))
        rows = np.flatnonzero(_type_members(need_types, t))
        if len(progs_t) == 0 or len(rows) == 0:
            continue
        if reach:
            bounded = np.isfinite(limit[rows])
            far, near = rows[~bounded], rows[bounded]
        else:
            far, near = rows, rows[:0]
        if len(far):
            keys.append(np.repeat(chosen[far], len(progs_t)) * n_prog + np.tile(progs_t, len(far)))
        if len(near) and len(near) * len(progs_t) <= _DENSE_PAIRS:
            keys.append(_within_reach_dense(tables, chosen, near, progs_t, limit, n_prog))
        elif len(near):
            if need_xyz is None or prog_xyz is None:
                need_xyz = _unit_vectors(people.lat[owner], people.lon[owner])
                prog_xyz = _unit_vectors(tables.programs.lat, tables.programs.lon)
            keys.append(_within_reach(chosen, near, progs_t, need_xyz, prog_xyz, limit, n_prog))
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # Each type's keys come sorted (needs in order, each need's programs in order), so a
    # stable sort merges the runs: ten times faster than sorting the keys afresh.
    joined = np.sort(np.concatenate(keys), kind="stable")
    unique = joined[np.concatenate([joined[:1] == joined[:1], joined[1:] != joined[:-1]])]
    return unique // n_prog, unique % n_prog


def _within_reach_dense(
    tables: Tables,
    chosen: IntArray,
    rows: IntArray,
    progs_t: IntArray,
    limit: FloatArray,
    n_prog: int,
) -> IntArray:
    people = tables.participants
    owner = np.repeat(tables.needs.participant[chosen[rows]], len(progs_t))
    g = np.tile(progs_t, len(rows))
    d = haversine_km(
        people.lat[owner], people.lon[owner], tables.programs.lat[g], tables.programs.lon[g]
    )
    keep = d <= np.repeat(limit[rows], len(progs_t)) * (1 + _SLACK) + _SLACK
    return np.asarray(np.repeat(chosen[rows], len(progs_t))[keep] * n_prog + g[keep])


def _within_reach(
    chosen: IntArray,
    rows: IntArray,
    progs_t: IntArray,
    need_xyz: FloatArray,
    prog_xyz: FloatArray,
    limit: FloatArray,
    n_prog: int,
) -> IntArray:
    from scipy.spatial import cKDTree

    tree = cKDTree(prog_xyz[progs_t])
    angle = np.minimum(limit[rows] * (1 + _SLACK) / EARTH_RADIUS_KM + _SLACK, np.pi)
    chord = 2.0 * np.sin(angle / 2.0)
    found = tree.query_ball_point(need_xyz[rows], r=chord, return_sorted=True)
    lengths = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
    local = np.fromiter(chain.from_iterable(found), dtype=np.int64, count=int(lengths.sum()))
    return np.asarray(np.repeat(chosen[rows], lengths) * n_prog + progs_t[local])
