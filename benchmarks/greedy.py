"""Two greedy baselines over the project's eligible pairs.

``fcfs``: what a naive referral system does. Participants in file order, each
need in the participant's rank order, takes the nearest eligible program with
any free place (``open_slots - held > 0``), ignoring the waitlist; no purchases,
no fund-paid places. Every place it takes beyond a program's unused capacity
``max(0, open_slots - held - waitlist)`` was owed to someone already waiting:
that count is its displacement.

``greedy``: a greedy that respects non-displacement, the solver's own
(``matcher.solver.greedy``) run alone. Acute needs first, then the others by
rank (every participant's rank-1 need before anyone's rank-2 need; ties in file
order). Each need takes its own waitlist turn if it has come, else the nearest
eligible program with an unused general place, else the nearest with a
``lead_reserved`` place, else the cheapest purchase (nearest among equal prices)
at a fundable program that the
remaining budget can pay for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.problem import Problem, displacement, eligible_candidates
from matcher.capacity.pools import Pool
from matcher.money import price_cents
from matcher.rules.arcs import candidate_arcs
from matcher.rules.tables import IntArray
from matcher.solver.greedy import greedy
from matcher.solver.solve import program_nodes


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
    """Greedy within the non-displacing pools: the solver's own greedy
    (``matcher.solver.greedy``, its floor under a time limit), on the same arcs."""
    tables, pools = problem.tables, problem.pools
    arcs = candidate_arcs(tables, pools)
    nodes, capacity = program_nodes(tables, arcs, pools)
    cents = price_cents(arcs.price)
    chosen = greedy(tables, arcs, nodes.of_arc, capacity, cents, problem.budget_cents)
    general = chosen & (arcs.pool == Pool.GENERAL)
    taken = np.bincount(arcs.program[general], minlength=len(pools.general))
    return GreedyResult(
        int(chosen.sum()),
        int(problem.acute[arcs.need[chosen]].sum()),
        int(cents[chosen].sum()) / 100,
        displacement(taken, pools.general),
    )
