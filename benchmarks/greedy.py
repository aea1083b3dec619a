"""Two greedy baselines over the project's eligible pairs.

``fcfs``: what a naive referral system does. Participants in file order, each
need in the participant's rank order, takes the nearest eligible program with
any free place (``open_slots - held > 0``), ignoring the waitlist; no purchases,
no fund-paid places. Every place it takes beyond a program's unused capacity
``max(0, open_slots - held - waitlist)`` was owed to someone already waiting:
that count is its displacement.

``greedy``: a greedy that respects non-displacement. Acute needs first, then the
others by rank (every participant's rank-1 need before anyone's rank-2 need;
ties in file order). Each need takes the nearest eligible program with an unused
general place, else the nearest with a ``lead_reserved`` place, else the
cheapest purchase (nearest among equal prices) at a fundable program that the
remaining budget can pay for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.problem import Problem, displacement, eligible_candidates, to_cents
from matcher.rules.tables import IntArray


@dataclass(frozen=True)
class GreedyResult:
    """Levels 1-3 of a greedy answer and its displacement."""

    met: int
    acute_met: int
    spend: float
    displacement: int


def _in_file_order(problem: Problem) -> IntArray:
    needs = problem.tables.needs
    position = np.arange(needs.size)
    return np.asarray(np.lexsort((position, needs.rank, needs.participant)), dtype=np.int64)


def _acute_then_rank(problem: Problem) -> IntArray:
    needs = problem.tables.needs
    position = np.arange(needs.size)
    return np.asarray(np.lexsort((position, needs.rank, ~needs.acute)), dtype=np.int64)


def fcfs(problem: Problem) -> GreedyResult:
    """First come, first served, blind to waitlists (see the module docstring)."""
    pools = problem.pools
    free = pools.free.copy()
    cands = eligible_candidates(problem, free > 0)
    taken = np.zeros_like(free)
    met = acute = 0
    for n in _in_file_order(problem):
        programs = cands.program[cands.of(int(n))]
        if len(programs) == 0:
            continue
        room = free[programs] > 0
        k = int(room.argmax())
        if not room[k]:
            continue
        g = programs[k]
        free[g] -= 1
        taken[g] += 1
        met += 1
        acute += int(problem.acute[n])
    return GreedyResult(met, acute, 0.0, displacement(taken, pools.general))


def respectful(problem: Problem) -> GreedyResult:
    """Greedy within the unused, fund-paid and purchasable pools (see the module docstring)."""
    pools = problem.pools
    general = pools.general.copy()
    reserved = pools.lead_reserved.copy()
    purchase = pools.purchase.copy()
    cents = to_cents(pools.price)
    cands = eligible_candidates(problem, (general + reserved + purchase) > 0)
    general_taken = np.zeros_like(general)
    budget = problem.budget_cents
    met = acute = 0
    spent = 0
    for n in _acute_then_rank(problem):
        where = cands.of(int(n))
        programs = cands.program[where]
        if len(programs) == 0:
            continue
        room = general[programs] > 0
        if room.any():
            g = programs[int(room.argmax())]
            general[g] -= 1
            general_taken[g] += 1
        elif (room := reserved[programs] > 0).any():
            g = programs[int(room.argmax())]
            reserved[g] -= 1
        else:
            price = cents[programs]
            room = (purchase[programs] > 0) & (price <= budget - spent)
            if not room.any():
                continue
            # Candidates are nearest first, so the first of the cheapest is the nearest of them.
            k = int(np.flatnonzero(room)[price[room].argmin()])
            g = programs[k]
            purchase[g] -= 1
            spent += int(price[k])
        met += 1
        acute += int(problem.acute[n])
    return GreedyResult(met, acute, spent / 100, displacement(general_taken, pools.general))
