"""Potentials: how likely an acute need is to want a place before the place is gone.

Learned from history (a horizon on the same programs with other participants,
``history_horizon``, what a site's ledger shows of an earlier year): for each
(program, pool) node, the rate ``a`` per day of acute needs that had a candidate
arc to it. A place there with ``r`` days left before it vanishes is wanted by an
acute need with chance ``1 - exp(-a * r)`` (arrivals as a Poisson stream): a place
about to vanish is worth little to the future, a place that stays is worth as
much as the acute needs likely to come for it.

Needs have potentials too: a need whose nodes see places come often (their rate in
history) is likely to find another place during a typical stay (the mean stay in
history), ``1 - exp(-stay * sum of its nodes' place rates)``; a need with few ways
is not.

``priced`` uses the potentials in two ways:

- at level 4 (always): among answers equal on acute needs met, needs met and
  spend, the one whose places (each node's soonest-vanishing one, the one taken)
  are least likely to be wanted by an acute need, and whose needs are least likely
  to find another place, wins; levels 1-3 stay exact;
- as a documented option (``hold``): a place whose chance exceeds ``hold`` is kept
  from needs that are not acute (it still goes to any acute need), which trades
  needs met now for acute needs met later (``docs/benchmarks.md`` measures it).

``hold`` 0 keeps from needs that are not acute every place an acute need might
want: it meets the most acute needs this rule can, at the cost of most other
needs, and shows how far holding alone is from hindsight on acute needs.

Tried and left (measured in ``docs/benchmarks.md``):

- the dual values of the horizon's LP relaxation, averaged per node: they do not
  see how long a place lasts and changed nothing;
- sampled-future lookahead: each day, batch problems of the needs waiting and the
  places there now plus a sampled future (history's needs and places of the next
  30 to 90 days, shifted onto this horizon, the waiting needs' exits drawn), each
  solved like hindsight; either serving today only the needs most samples serve
  today (acute needs always), or keeping from needs that are not acute the places
  the samples give to future acute needs. Neither beat ``hold`` 0.5: the first met
  fewer acute needs and fewer needs, the second about as many needs and fewer acute
  needs: a sample's optimum finds a later place for most future acute needs, so
  it kept 0 or 1 place on the days looked at (site, seed 1);
- a threshold per need instead of one ``hold`` (lower for a need likely to find
  another place): its answers lie on the curve of ``hold`` values, not above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.rules.tables import FloatArray, IntArray
from matcher.simulate.horizon import BoolArray, Horizon
from matcher.solver.preferences import MAX_PENALTY


@dataclass(frozen=True)
class Learned:
    """What ``priced`` learns from history: per node, acute needs per day; per need, the
    chance of another place (level-4 points)."""

    acute_rates: FloatArray
    need_chance: IntArray


def learn(history: Horizon, horizon: Horizon) -> Learned:
    """Both potentials of ``horizon``, learned from ``history``."""
    return Learned(acute_rates(history, horizon), need_chance(history, horizon))


STEPS = 100
"""Level-4 potentials are whole hundredths of a chance, each ahead of every preference."""


def acute_rates(history: Horizon, horizon: Horizon) -> FloatArray:
    """Per node of ``horizon``: acute needs per day that could use it in ``history``
    (nodes matched by program and pool; one history never saw is wanted by none)."""
    acute = history.tables.needs.acute[history.arcs.need]
    return _per_node(history, horizon, history.node[acute])


def need_chance(history: Horizon, horizon: Horizon) -> IntArray:
    """Per need of ``horizon``: the chance, in level-4 points, that another place comes
    for it during a typical stay (place rates per node and the mean stay from history)."""
    places = _per_node(history, horizon, history.slot_node)
    stay = float(np.mean(history.exit - history.arrive)) if len(history.arrive) else 0.0
    ways = np.bincount(
        horizon.arcs.need, weights=places[horizon.node], minlength=horizon.tables.needs.size
    )
    chance = 1.0 - np.exp(-np.asarray(ways, dtype=np.float64) * stay)
    return np.rint(chance * STEPS).astype(np.int64) * MAX_PENALTY


def _per_node(history: Horizon, horizon: Horizon, events: IntArray) -> FloatArray:
    """Per node of ``horizon``: how many of ``events`` (history node ids) fell on the
    same (program, pool) in history, per day."""
    nodes = len(history.node_program)
    per_day = np.bincount(events, minlength=nodes) / max(history.days, 1)
    learned = dict(
        zip(
            zip(history.node_program.tolist(), history.node_pool.tolist(), strict=True),
            per_day.tolist(),
            strict=True,
        )
    )
    keys = zip(horizon.node_program.tolist(), horizon.node_pool.tolist(), strict=True)
    return np.array([learned.get(k, 0.0) for k in keys], dtype=np.float64)


def slot_chance(horizon: Horizon, rates: FloatArray, day: int) -> FloatArray:
    """Per slot: the chance an acute need wants it before it vanishes, seen on ``day``."""
    left = np.maximum(horizon.slot_vanish - day, 0)
    return np.asarray(1.0 - np.exp(-rates[horizon.slot_node] * left))


def level4_potential(
    horizon: Horizon, rates: FloatArray, day: int, available: BoolArray
) -> IntArray:
    """Per node: the chance of its soonest-vanishing available slot, in level-4 points."""
    nodes = len(horizon.node_program)
    vanish = np.full(nodes, horizon.days, dtype=np.int64)
    np.minimum.at(vanish, horizon.slot_node[available], horizon.slot_vanish[available])
    chance = 1.0 - np.exp(-rates * np.maximum(vanish - day, 0))
    return np.rint(chance * STEPS).astype(np.int64) * MAX_PENALTY
