"""Why a need was not met: the contract's reason, ``blocked_by`` counts and plain words.

The reason is the first of these that holds (``spec/SCENARIO.md``):

1. ``no_program_of_type``: no program offers any of the need's service types.
2. ``not_eligible``: programs of the type exist and every one breaks a rule of
   families 2-5 for this participant.
3. ``would_displace``: an eligible program has free places (``open_slots - held > 0``)
   but all are owed to people already waiting, and no other pool of an eligible
   program had room to begin with (no unused place, no paid place, nothing the
   fund could buy).
4. ``budget_exhausted``: an eligible fundable program still had a place to sell,
   but the budget left after the answer's spend could not pay its price.
5. ``capacity_exhausted``: otherwise; the eligible programs' room was taken by
   needs the objective ranks at least as high, or there was none.

``blocked_by`` counts, over the programs of the need's type the participant is
not eligible for, the first rule each breaks. Computed for unmet needs only, over
every program of the type (not only those within reach), in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.capacity.pools import Pool
from matcher.money import budget_cents, price_cents
from matcher.rules.arcs import evaluate_pairs
from matcher.rules.registry import RULE_NAMES, RULES, phrase
from matcher.solver.solve import Solution

NO_PROGRAM_OF_TYPE = "no_program_of_type"
NOT_ELIGIBLE = "not_eligible"
WOULD_DISPLACE = "would_displace"
BUDGET_EXHAUSTED = "budget_exhausted"
CAPACITY_EXHAUSTED = "capacity_exhausted"


@dataclass(frozen=True)
class Unmatched:
    """One unmet need and why."""

    need_id: str
    participant_id: str
    reason: str
    blocked_by: dict[str, int]
    detail: str


def _types_label(types: list[str]) -> str:
    return " or ".join(types)


def unmatched_needs(solution: Solution) -> list[Unmatched]:
    """A reason for every need the answer leaves unmet, in scenario order."""
    tables = solution.tables
    pools = solution.pools
    met = np.zeros(tables.needs.size, dtype=bool)
    met[solution.arcs.need[solution.chosen]] = True
    unmet = np.flatnonzero(~met)
    if len(unmet) == 0:
        return []
    pairs = evaluate_pairs(tables, unmet, reach=False)
    n_rules = len(RULES) + 1
    per_need = np.bincount(
        pairs.need * n_rules + pairs.broken.astype(np.int64), minlength=tables.needs.size * n_rules
    ).reshape(tables.needs.size, n_rules)

    # Room each pool has left after the answer, per program.
    chosen = solution.assigned
    used = {
        pool: np.bincount(chosen.program[chosen.pool == pool], minlength=tables.programs.size)
        for pool in Pool
    }
    price = price_cents(pools.price)
    budget_left = budget_cents(solution.scenario.fund.budget) - int(
        price[chosen.program[chosen.pool == Pool.PURCHASE]].sum()
    )
    purchase_left = pools.purchase - used[Pool.PURCHASE]
    ok = pairs.broken == 0
    eg_need, eg_prog = pairs.need[ok], pairs.program[ok]
    owed = pools.owed()[eg_prog]
    other_room = (
        (pools.general[eg_prog] > 0)
        | (pools.lead_reserved[eg_prog] > 0)
        | (pools.purchase[eg_prog] > 0)
    )
    unaffordable = (purchase_left[eg_prog] > 0) & (price[eg_prog] > budget_left)
    n = tables.needs.size
    any_owed = np.bincount(eg_need[owed], minlength=n) > 0
    owed_places = np.bincount(eg_need[owed], weights=pools.free[eg_prog[owed]], minlength=n).astype(
        np.int64
    )
    owed_waiting = np.bincount(
        eg_need[owed], weights=pools.waitlist[eg_prog[owed]], minlength=n
    ).astype(np.int64)
    any_room = np.bincount(eg_need[other_room], minlength=n) > 0
    any_unaffordable = np.bincount(eg_need[unaffordable], minlength=n) > 0
    cheapest = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(cheapest, eg_need[unaffordable], price[eg_prog[unaffordable]])

    need_types = [n.service_types for p in solution.scenario.participants for n in p.needs]
    totals = per_need.sum(axis=1).tolist()
    rows = per_need.tolist()
    owner_ids = tables.participants.ids
    owners = tables.needs.participant.tolist()
    out = []
    for k in unmet.tolist():
        need_id = tables.needs.ids[k]
        types = need_types[k]
        counts = rows[k]
        total = totals[k]
        eligible = counts[0]
        blocked = {RULE_NAMES[r - 1]: c for r, c in enumerate(counts) if r and c}
        what = _types_label(types)
        if total == 0:
            reason, detail = NO_PROGRAM_OF_TYPE, f"no program offers {what}"
        elif eligible == 0:
            reason = NOT_ELIGIBLE
            parts = ", ".join(phrase(r, c) for r, c in enumerate(counts) if r and c)
            detail = f"{total} {what} program{'s' if total != 1 else ''}, none eligible: {parts}"
        elif any_owed[k] and not any_room[k]:
            reason = WOULD_DISPLACE
            detail = (
                f"{eligible} eligible program{'s' if eligible != 1 else ''}: "
                f"{owed_places[k]} free place{'s' if owed_places[k] != 1 else ''}, "
                f"all owed to {owed_waiting[k]} "
                f"{'person' if owed_waiting[k] == 1 else 'people'} already waiting"
            )
        elif any_unaffordable[k]:
            reason = BUDGET_EXHAUSTED
            detail = (
                f"a place could be bought for {cheapest[k] / 100:,.2f}, "
                f"but only {budget_left / 100:,.2f} of the fund is left"
            )
        else:
            reason = CAPACITY_EXHAUSTED
            detail = (
                f"{eligible} eligible program{'s' if eligible != 1 else ''}, "
                "no room left: places taken by needs ranked at least as high, or none to give"
            )
        out.append(Unmatched(need_id, owner_ids[owners[k]], reason, blocked, detail))
    return out
