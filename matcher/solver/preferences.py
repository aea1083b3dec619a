"""Level 4 of the objective: the participants' own preferences, as a per-arc penalty.

Among answers equal on levels 1-3 (acute needs met, needs met, spend), the
matcher picks the one with the least total penalty, where an arc's penalty is
the sum of (each term an integer, the total below ``MAX_PENALTY``):

==================  ========  ==================================================
term                points    when
==================  ========  ==================================================
need rank           60/step   ``60 * (min(rank, 10) - 1)``: the participant's
                              higher-ranked needs are met before lower ones
preferred program   150       the need names preferred programs, this is not one
tailored            100       the participant ``prefers`` populations/cultures
                              and the program ``serves`` none of them
language            60        the participant lists languages and the program's
                              staff speak none of them
distance            4 per km  rounded, capped at 80 (20 km)
pool                0/5/10/15 waitlist_turn, general, lead_reserved, purchase:
                              the participant's own turn first, then unused
                              places, paid places kept for those with no other
==================  ========  ==================================================
"""

from __future__ import annotations

import numpy as np

from matcher.capacity.pools import PREFERENCE
from matcher.rules.arcs import Arcs
from matcher.rules.tables import IntArray, Tables, in_sorted, shares_bit

RANK_STEP = 60
RANK_CAP = 10
NOT_PREFERRED = 150
NOT_TAILORED = 100
NO_SHARED_LANGUAGE = 60
PER_KM = 4
DISTANCE_CAP = 80
POOL_STEP = 5
MAX_PENALTY = 1000

_POOL_RANK = np.argsort(np.array(PREFERENCE, dtype=np.int64)).astype(np.int64)
"""Each pool's place in the level-4 order, indexed by the pool's number."""


def arc_penalty(tables: Tables, arcs: Arcs) -> IntArray:
    """The level-4 penalty of every arc (lower is better), in ``[0, MAX_PENALTY)``."""
    needs = tables.needs
    people = tables.participants
    progs = tables.programs
    n, g = arcs.need, arcs.program
    p = needs.participant[n]
    rank = RANK_STEP * (np.minimum(needs.rank[n], RANK_CAP) - 1)
    preferred = in_sorted(n * progs.size + g, needs.preferred_keys)
    not_preferred = np.where(needs.has_preferred[n] & ~preferred, NOT_PREFERRED, 0)
    tailored = shares_bit(people.prefers[p], progs.serves[g])
    not_tailored = np.where(people.has_prefers[p] & ~tailored, NOT_TAILORED, 0)
    speaks = shares_bit(people.languages[p], progs.languages[g])
    no_language = np.where(people.has_languages[p] & ~speaks, NO_SHARED_LANGUAGE, 0)
    distance = np.minimum(np.rint(arcs.distance_km * PER_KM), DISTANCE_CAP).astype(np.int64)
    pool = POOL_STEP * _POOL_RANK[arcs.pool]
    total = rank + not_preferred + not_tailored + no_language + distance + pool
    return np.asarray(total, dtype=np.int64)
