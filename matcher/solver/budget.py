"""One level of the objective under the budget: Lagrangian pricing, then an exact repair.

Stage problem: maximise ``value(x)`` (each arc worth 0 or 1) over the flows of a
network stage, subject to ``spend(x) <= budget``. The budget is the only
constraint that is not a network constraint, and it touches purchase arcs only.
Pricing it at ``lam`` per cent gives a min-cost flow again, and

    D(lam) = max_x [value(x) - lam * (spend(x) - budget)]

is an upper bound on the stage's optimum for every ``lam >= 0``. ``D`` is convex
and piecewise linear; the Newton (cutting-line) search below finds its minimum
``lam*`` in exact rational arithmetic, each step one flow.

Exactness. At ``lam*`` two maximisers bracket the budget: ``hi`` (spend within
budget) and ``lo`` (over it). Their difference is a circulation; split into
cycles, each cycle can be applied to ``hi`` alone and stay feasible (the cycles
are conformal), and each has zero priced profit (else ``hi`` or ``lo`` would not
be a maximiser). Arc values are 0/1, so a cycle changes the value by -1, 0 or
+1, and a +1 cycle costs exactly ``1 / lam*``. Applying
``m = floor(lam* * (budget - spend(hi)))`` of them gives
``value(hi) + m = floor(D(lam*))``: the answer meets the bound, so it is optimal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from math import floor

import numpy as np
import numpy.typing as npt

from matcher.rules.tables import IntArray
from matcher.solver.flow import Clock, OutOfTime, assign

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Stage:
    """A network stage: the arcs, which needs are gated, and each arc's 0/1 value."""

    need: IntArray
    node: IntArray
    node_capacity: IntArray
    cents: IntArray
    gate: IntArray
    gate_supply: IntArray
    value: IntArray
    clock: Clock = field(default_factory=Clock)

    def take(self, idx: IntArray) -> Stage:
        """The stage restricted to some arcs (needs, nodes and gates unchanged)."""
        return Stage(
            self.need[idx],
            self.node[idx],
            self.node_capacity,
            self.cents[idx],
            self.gate,
            self.gate_supply,
            self.value[idx],
            self.clock,
        )

    def point(self, chosen: BoolArray) -> Point:
        """Value and spend of a choice of arcs."""
        return Point(chosen, int(self.value[chosen].sum()), int(self.cents[chosen].sum()))

    def cheapest(self, cost: IntArray) -> Point:
        """The least-cost flow of this stage for integer arc costs."""
        chosen = assign(
            self.need, self.node, cost, self.node_capacity, self.gate, self.gate_supply, self.clock
        )
        return self.point(chosen)


@dataclass(frozen=True)
class Point:
    """One flow: the arcs it takes, its value and its spend in cents."""

    chosen: BoolArray
    value: int
    spend: int


@dataclass(frozen=True)
class Outcome:
    """The best flow found within budget, a proven upper bound on value, and the flow count."""

    best: Point
    bound: int
    proven: bool
    flows: int
    least_spend: bool = False
    lam: Fraction = Fraction(0)
    """``best`` maximises the priced value at ``lam* > 0``: no flow of equal value spends less."""


@dataclass(frozen=True)
class _Search:
    """The Newton search on one network: best flow, least ``D`` seen and where, convergence."""

    best: Point
    bound: Fraction
    lam: Fraction
    converged: bool
    flows: int


def maximise_within_budget(
    stage: Stage,
    budget_cents: int,
    deadline: float,
    fallback: Point | None,
    ceiling: int,
    guess: Fraction | None = None,
) -> Outcome:
    """Most value within the budget (spend is left to a later, gated stage).

    The search runs on a *core* of the network: the needs that a budget-free
    maximiser places and those the fallback places (so the core has a flow
    within budget). One flow over the whole network at the core's ``lam*`` then
    checks that nothing outside the core raises ``D(lam*)``; if something does,
    the needs it places join the core and the search goes on. So the bound, and
    the proof, always hold for the whole network.

    ``fallback`` is a flow known to fit the budget (and the stage's gates) and
    ``ceiling`` a known bound on value: the answer when the deadline passes before
    the search can start. A stage without gates may pass ``None``: the budget-free
    maximiser without its paid arcs is then the fallback.
    """
    try:
        if time.monotonic() <= deadline:
            return _maximise(stage, budget_cents, deadline, fallback, guess)
    except OutOfTime:
        pass  # a flow would have ended past the deadline: as if it had passed already
    nothing = stage.point(np.zeros(len(stage.need), dtype=bool))
    start = fallback or nothing
    return Outcome(start, ceiling, start.value >= ceiling, 0)


def _maximise(
    stage: Stage,
    budget_cents: int,
    deadline: float,
    fallback: Point | None,
    guess: Fraction | None,
) -> Outcome:
    """``maximise_within_budget`` once the search may start (see there)."""
    # Any maximiser at lam = 0 gives a supporting line; small costs keep the flow fast.
    lo = stage.cheapest(-stage.value)
    flows = 1
    if lo.spend <= budget_cents:
        return Outcome(lo, lo.value, True, flows)
    if fallback is None:
        fallback = stage.point(lo.chosen & (stage.cents == 0))
    bound = Fraction(lo.value)
    core = _placed(stage, lo.chosen) | _placed(stage, fallback.chosen)
    best = fallback
    while True:
        if time.monotonic() > deadline:
            best = best if best.value >= fallback.value else fallback
            return Outcome(best, floor(bound), best.value >= floor(bound), flows)
        idx = np.flatnonzero(core[stage.need])
        sub = stage.take(idx)
        search = _newton(sub, budget_cents, deadline, sub.point(lo.chosen[idx]), guess)
        flows += search.flows
        chosen = np.zeros(len(stage.need), dtype=bool)
        chosen[idx] = search.best.chosen
        best = stage.point(chosen)
        least = False
        if search.converged and search.lam > 0:
            lam = search.lam
            x = stage.cheapest(lam.numerator * stage.cents - lam.denominator * stage.value)
            flows += 1
            at_x = x.value - lam * (x.spend - budget_cents)
            bound = min(bound, at_x)
            grown = core | _placed(stage, x.chosen)
            if at_x > search.bound and (grown != core).any():
                core = grown
                continue
            # Any flow of best's value priced at lam is worth at most D(lam) = at_x, so it
            # spends at least as much as best when best itself reaches D(lam).
            least = best.value - lam * (best.spend - budget_cents) == at_x
        if best.value < fallback.value:  # a search the deadline cut short
            best, least = fallback, False
        proven = best.value >= floor(bound)
        return Outcome(best, floor(bound), proven, flows, least and proven, search.lam)


def _placed(stage: Stage, chosen: BoolArray) -> BoolArray:
    """Needs that a flow places, per need."""
    out = np.zeros(len(stage.gate), dtype=bool)
    out[stage.need[chosen]] = True
    return out


def _newton(
    stage: Stage, budget_cents: int, deadline: float, lo: Point, guess: Fraction | None = None
) -> _Search:
    """Newton search from ``lo``, a budget-free maximiser that overspends, then the repair.

    ``guess`` (a multiplier from an earlier level, say) is tried first: any price
    gives a true maximiser, and one near the answer saves the first far steps.
    """
    top = len(stage.gate) + 1
    hi = stage.cheapest(stage.cents * top - stage.value)
    flows = 1
    if hi.spend > budget_cents:
        raise ValueError("the stage has no flow within budget")
    if guess is not None and guess > 0 and hi.value < lo.value:
        x = stage.cheapest(guess.numerator * stage.cents - guess.denominator * stage.value)
        flows += 1
        if x.spend > budget_cents:
            lo = x
        elif x.value > hi.value:
            hi = x
    bound = Fraction(lo.value)
    lam = Fraction(0)
    converged = True
    while hi.value < lo.value:
        lam = Fraction(lo.value - hi.value, lo.spend - hi.spend)
        if time.monotonic() > deadline:
            converged = False
            break
        x = stage.cheapest(lam.numerator * stage.cents - lam.denominator * stage.value)
        flows += 1
        at_x = x.value - lam * (x.spend - budget_cents)
        bound = min(bound, at_x)
        if at_x <= lo.value - lam * (lo.spend - budget_cents):
            break
        if x.spend > budget_cents:
            lo = x
        else:
            hi = x
    if hi.value >= lo.value:
        lam = Fraction(0)
    return _Search(_repair(stage, hi, lo, budget_cents), bound, lam, converged, flows)


def _repair(stage: Stage, hi: Point, lo: Point, budget_cents: int) -> Point:
    """Add to ``hi`` the value-raising cycles of ``lo - hi``, cheapest first, within budget."""
    if lo.value <= hi.value:
        return hi
    cycles = _cycles(stage, hi.chosen, lo.chosen)
    gains = [
        (int(stage.cents[add].sum() - stage.cents[drop].sum()), add, drop)
        for add, drop in cycles
        if int(stage.value[add].sum() - stage.value[drop].sum()) > 0
    ]
    gains.sort(key=lambda g: g[0])
    chosen = hi.chosen.copy()
    left = budget_cents - hi.spend
    for cost, add, drop in gains:
        if cost <= left:
            chosen[add] = True
            chosen[drop] = False
            left -= cost
    return stage.point(chosen)


def _cycles(stage: Stage, hi: BoolArray, lo: BoolArray) -> list[tuple[IntArray, IntArray]]:
    """Split the circulation ``lo - hi`` into simple cycles: (arcs added, arcs dropped) each.

    Vertices: needs, pool nodes (offset), the sink ``T`` and the gates. Edges
    carry the arc id (or -1 for sink/gate edges) so a cycle maps back to arcs.
    """
    n_needs = len(stage.gate)
    n_nodes = len(stage.node_capacity)
    sink = n_needs + n_nodes
    first_gate = sink + 1
    added = np.flatnonzero(lo & ~hi)
    dropped = np.flatnonzero(hi & ~lo)
    used = np.bincount(stage.node[lo], minlength=n_nodes) - np.bincount(
        stage.node[hi], minlength=n_nodes
    )
    more = np.repeat(np.flatnonzero(used > 0), used[used > 0])
    fewer = np.repeat(np.flatnonzero(used < 0), -used[used < 0])
    met = np.bincount(stage.need[lo], minlength=n_needs) - np.bincount(
        stage.need[hi], minlength=n_needs
    )
    source = np.where(stage.gate < 0, sink, first_gate + stage.gate)
    gained = np.flatnonzero(met > 0)
    lost = np.flatnonzero(met < 0)
    tails = np.concatenate(
        [
            stage.need[added],
            n_needs + stage.node[dropped],
            n_needs + more,
            np.full(len(fewer), sink),
            source[gained],
            lost,
        ]
    )
    heads = np.concatenate(
        [
            n_needs + stage.node[added],
            stage.need[dropped],
            np.full(len(more), sink),
            n_needs + fewer,
            gained,
            source[lost],
        ]
    )
    tags = np.concatenate(
        [added, -2 - dropped, np.full(len(more) + len(fewer) + len(gained) + len(lost), -1)]
    )
    order = np.argsort(tails, kind="stable")
    out: dict[int, list[tuple[int, int]]] = {}
    for tail, head, arc in zip(
        tails[order].tolist(), heads[order].tolist(), tags[order].tolist(), strict=True
    ):
        out.setdefault(tail, []).append((head, arc))

    cycles: list[tuple[IntArray, IntArray]] = []
    for start in list(out):
        while out.get(start):
            path = [start]
            arcs: list[int] = []
            where = {start: 0}
            v = start
            while True:
                head, arc = out[v].pop()
                arcs.append(arc)
                if head in where:
                    cut = where[head]
                    loop = arcs[cut:]
                    add = np.array([a for a in loop if a >= 0], dtype=np.int64)
                    drop = np.array([-2 - a for a in loop if a <= -2], dtype=np.int64)
                    cycles.append((add, drop))
                    for vertex in path[cut + 1 :]:
                        del where[vertex]
                    del path[cut + 1 :]
                    del arcs[cut:]
                    v = head
                    if not arcs:
                        break
                    continue
                where[head] = len(path)
                path.append(head)
                v = head
    return cycles
