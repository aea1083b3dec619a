"""Explanations for one participant: every program considered, per need, and its verdict."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from matcher.capacity.pools import pools_of
from matcher.rules.arcs import evaluate_pairs
from matcher.rules.registry import RULES
from matcher.rules.tables import build_tables
from matcher.scenario import Scenario


def explain_participant(
    scenario: Scenario, participant_id: str, outcome: Mapping[str, str] | None = None
) -> str:
    """A plain-text table: for each need, each program of its type, the first rule it breaks
    or, if eligible, which pools have room; ``outcome`` (need id -> what the answer did
    with it) adds the decision under each need. Raises ``KeyError`` for an unknown
    participant."""
    tables = build_tables(scenario)
    ids = tables.participants.ids
    if participant_id not in ids:
        raise KeyError(participant_id)
    p = ids.index(participant_id)
    pools = pools_of(scenario.programs)
    mine = np.flatnonzero(tables.needs.participant == p)
    pairs = evaluate_pairs(tables, mine, reach=False)
    person = scenario.participants[p]
    lines = [f"participant {participant_id}: {len(mine)} need(s)"]
    for k, need in zip(mine, person.needs, strict=True):
        flag = " (acute)" if need.acute else ""
        lines.append(f"\nneed {need.id}{flag}: {' or '.join(need.service_types)}")
        if outcome is not None and need.id in outcome:
            lines.append(f"  -> {outcome[need.id]}")
        rows = np.flatnonzero(pairs.need == k)
        if len(rows) == 0:
            lines.append("  no program offers this")
            continue
        for r in rows[np.argsort(pairs.distance_km[rows])]:
            g = int(pairs.program[r])
            where = f"{scenario.programs[g].id:<36} {pairs.distance_km[r]:6.2f} km  "
            code = int(pairs.broken[r])
            if code:
                lines.append(f"  {where}excluded: {RULES[code - 1].name}")
                continue
            room = []
            if pools.general[g]:
                room.append(f"{pools.general[g]} unused")
            elif pools.free[g]:
                room.append(f"{pools.free[g]} free but owed to {pools.waitlist[g]} waiting")
            elif not pools.reported[g]:
                room.append("free places never reported")
            if pools.lead_reserved[g]:
                room.append(f"{pools.lead_reserved[g]} LEAD-reserved")
            if pools.purchase[g]:
                room.append(f"{pools.purchase[g]} to buy at {pools.price[g]:,.2f}")
            lines.append(f"  {where}eligible: {', '.join(room) or 'no room'}")
    return "\n".join(lines)
