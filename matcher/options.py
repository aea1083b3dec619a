"""A case manager's view of one participant: every eligible option per need, ranked.

The solver picks one answer; a case manager also wants to see the alternatives, each
with its distance and the pool it would use, and how many programs were excluded by
which rule. Options are ranked the way the objective's last level ranks them:
preferred programs first, then unused places before LEAD-reserved before bought
ones, then distance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from matcher.capacity.pools import PREFERENCE, Pool, PoolName, pools_of
from matcher.rules.arcs import evaluate_pairs
from matcher.rules.registry import RULES
from matcher.rules.tables import build_tables
from matcher.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Option:
    """One program a need could go to now, through one pool."""

    program_id: str
    program_name: str | None
    pool: PoolName
    distance_km: float
    price: float
    preferred: bool
    room: int


@dataclass(slots=True)
class NeedOptions:
    """A need's options, and the programs of its type excluded (rule -> count); of the
    eligible programs without a place, how many owe their free places to people waiting
    and how many never reported their places at all."""

    need_id: str
    service_types: list[str]
    acute: bool
    options: list[Option] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    eligible_but_full: int = 0
    owed_to_waitlist: int = 0
    unreported: int = 0


def participant_options(scenario: Scenario, participant_id: str) -> list[NeedOptions]:
    """Every eligible option of each of the participant's needs, best first.

    Raises ``KeyError`` for a participant not in the scenario.
    """
    tables = build_tables(scenario)
    ids = tables.participants.ids
    p = ids.index(participant_id)
    person = scenario.participants[p]
    pools = pools_of(scenario.programs, scenario.participants)
    mine = np.flatnonzero(tables.needs.participant == p)
    pairs = evaluate_pairs(tables, mine, reach=False)
    out: list[NeedOptions] = []
    for k, need in zip(mine, person.needs, strict=True):
        view = NeedOptions(need.id, list(need.service_types), need.acute)
        preferred = set(need.preferred_programs) | set(person.prefers)
        rows = np.flatnonzero(pairs.need == k)
        broken = Counter(int(pairs.broken[r]) for r in rows)
        view.excluded = {RULES[c - 1].name: n for c, n in sorted(broken.items()) if c}
        for r in rows[pairs.broken[rows] == 0]:
            g = int(pairs.program[r])
            program = scenario.programs[g]
            found = False
            for pool in Pool:
                room = int(pools.size(pool)[g])
                if pool is Pool.WAITLIST_TURN:
                    room = int(pools.has_turn(np.array([p]), np.array([g]))[0])
                if pool is Pool.PURCHASE and pools.price[g] > scenario.fund.budget:
                    room = 0  # the fund cannot pay for it now
                if room <= 0:
                    continue
                found = True
                view.options.append(
                    Option(
                        program_id=program.id,
                        program_name=program.name,
                        pool=pool.label,
                        distance_km=round(float(pairs.distance_km[r]), 3),
                        price=float(pools.price[g]) if pool is Pool.PURCHASE else 0.0,
                        preferred=program.id in preferred,
                        room=room,
                    )
                )
            if not found:
                view.eligible_but_full += 1
                view.owed_to_waitlist += int(pools.free[g] > 0)
                view.unreported += int(not pools.reported[g])
        order = {pool.label: i for i, pool in enumerate(PREFERENCE)}
        view.options.sort(key=lambda o: (not o.preferred, order[o.pool], o.distance_km))
        out.append(view)
    return out
