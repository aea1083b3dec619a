"""Levels 1-3 under a budget that binds: Lagrangian pricing of purchases with min-cost flow.

The budget is the only constraint that is not a network constraint, and it
touches purchase arcs only. Pricing it at ``lam`` per cent turns the problem into
a min-cost flow again: maximise ``value(x) - lam * spend(x)``, where
``value = (N + 1) * acute_met + met`` orders levels 1 and 2 lexicographically.
For every ``lam >= 0``, ``D(lam) = max_x [value(x) - lam * (spend(x) - budget)]``
is an upper bound on the best value within budget (weak duality). ``D`` is convex
and piecewise linear, so the Newton (cutting-line) search below, in exact rational
arithmetic, reaches its minimum ``lam*`` in a few flows.

Proof of optimality: ``hi`` is a maximiser at ``lam*`` whose spend fits the
budget. If ``value(hi) == floor(D(lam*))`` no integer answer does better on
levels 1-2; and because ``hi`` is the least-spending maximiser at ``lam* > 0``,
any answer of equal value spending less would beat it in ``D``: level 3 is
proven too. When the floor is higher (the adjacent flows differ by an acute
need), the caller closes the gap exactly with CP-SAT.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from math import floor

import numpy as np
import numpy.typing as npt

from matcher.rules.tables import IntArray
from matcher.solver.flow import max_profit_assignment

BoolArray = npt.NDArray[np.bool_]
_SAFE_COST = 2**62


@dataclass(frozen=True)
class Point:
    """One flow: the arcs it takes, its lexicographic value and its spend in cents."""

    chosen: BoolArray
    value: int
    spend: int


@dataclass(frozen=True)
class BudgetOutcome:
    """The best answer found within budget and what could be proven about it."""

    best: Point
    proven: bool
    value_bound: Fraction
    flows: int


@dataclass(frozen=True)
class Network:
    """The assignment network of one problem, with integer weights per arc."""

    need: IntArray
    node: IntArray
    node_capacity: IntArray
    n_needs: int
    weight: IntArray
    simple_weight: IntArray
    cents: IntArray

    def point(self, chosen: BoolArray) -> Point:
        """Value and spend of a choice of arcs."""
        return Point(chosen, int(self.weight[chosen].sum()), int(self.cents[chosen].sum()))

    def best(self, profit: IntArray) -> Point:
        """The maximum-profit assignment for per-arc integer profits."""
        limit = _SAFE_COST // (self.n_needs + len(self.node_capacity) + 2)
        if len(profit) and int(np.abs(profit).max()) > limit:
            raise OverflowError("arc profits exceed the flow solver's safe range")
        return self.point(
            max_profit_assignment(self.need, self.node, profit, self.node_capacity, self.n_needs)
        )

    def unlimited(self) -> Point:
        """Levels 1-3 with no budget: max (acute, met) then least spend.

        Without a budget the sets of needs that can be met together form a
        matroid, so weights 2 (acute) and 1 reach the lexicographic optimum of
        levels 1-2; scaling them by more than any possible spend adds level 3.
        """
        scale = int(self.cents.sum()) + 1
        return self.best(self.simple_weight * scale - self.cents)

    def without_paid_purchases(self) -> Point:
        """The optimum when nothing with a price can be bought (``lam`` = infinity)."""
        return self.best(np.where(self.cents > 0, 0, self.simple_weight))

    def priced(self, lam: Fraction) -> Point:
        """A maximiser of ``value - lam * spend`` (exact integer profits)."""
        return self.best(lam.denominator * self.weight - lam.numerator * self.cents)


def solve_within_budget(net: Network, budget_cents: int, deadline: float) -> BudgetOutcome:
    """Levels 1-3 within ``budget_cents``; see the module docstring for the proof."""
    lo = net.unlimited()
    flows = 1
    if lo.spend <= budget_cents:
        return BudgetOutcome(lo, True, Fraction(lo.value), flows)
    hi = net.without_paid_purchases()
    flows += 1
    bound = Fraction(lo.value)
    while True:
        if hi.value >= lo.value:
            return BudgetOutcome(hi, True, Fraction(hi.value), flows)
        lam = Fraction(lo.value - hi.value, lo.spend - hi.spend)
        at_lo = lo.value - lam * lo.spend
        bound = at_lo + lam * budget_cents
        if time.monotonic() > deadline:
            break
        try:
            x = net.priced(lam)
        except OverflowError:
            break
        flows += 1
        if x.value - lam * x.spend <= at_lo:
            break
        if x.spend > budget_cents:
            lo = x
        else:
            hi = x
    proven = floor(bound) <= hi.value
    return BudgetOutcome(hi, proven, bound, flows)
