"""The policies, run day by day over a horizon.

Each day the day's events apply first (arrivals, exits, places appearing and
vanishing, top-ups), then the policy acts on the queue as it is:

- ``request``: today's service. A participant's case manager asks when the
  participant arrives and again every ``retry_days`` while a need is unmet;
  each request is solved for that one participant alone (the project's exact
  levels), in arrival order, and takes what it gets.
- ``resolve``: the whole queue (every waiting need of every active
  participant) is solved as one batch each day, with the same levels.
- ``priced``: as ``resolve``, with potentials (``potentials``): at level 4
  the places least likely to be wanted by an acute need before they vanish are
  used first; with ``hold`` set, needs that are not acute are solved after the
  acute ones, without the places an acute need likely wants.

By default levels 1-3 of every snapshot stay exact (only level 4 is priced);
``hold`` is a policy option that gives up level 2 of a snapshot on purpose, to meet
more acute needs later. ``docs/benchmarks.md`` measures both against hindsight:
neither reaches 98% of it on acute needs and on needs at once, and ``hold`` 0
(every place an acute need might want kept from other needs) shows the most acute
needs holding can meet.

A taken place is the slot of its node that would vanish soonest: the choice
that leaves the most for later, whatever the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matcher.rules.tables import IntArray
from matcher.simulate.horizon import BoolArray, Horizon
from matcher.simulate.potentials import Learned, level4_potential, slot_chance
from matcher.simulate.snapshot import decide

POLICIES = ("request", "resolve", "priced")
UNMET = -1


@dataclass(frozen=True)
class Outcome:
    """Per need: the day it was met, the arc and the slot it took (``UNMET`` if none)."""

    day: IntArray
    arc: IntArray
    slot: IntArray


@dataclass
class State:
    """What changes as a policy runs: the slots taken, the needs met, the money spent
    (also what ``foresight`` commits to, day by day)."""

    horizon: Horizon
    used: BoolArray
    day_met: IntArray
    arc: IntArray
    slot: IntArray
    spent: int = 0

    @classmethod
    def start(cls, horizon: Horizon) -> State:
        """The state on the horizon's first morning: no slot taken, no need met."""
        n = horizon.tables.needs.size
        used = np.zeros(len(horizon.slot_node), dtype=bool)
        day_met, arc, slot = (np.full(n, UNMET, np.int64) for _ in range(3))
        return cls(horizon, used, day_met, arc, slot)

    def available(self, day: int) -> BoolArray:
        """Per slot: there now and not taken."""
        h = self.horizon
        return np.asarray((h.slot_appear <= day) & (day < h.slot_vanish) & ~self.used)

    def room(self, day: int, among: BoolArray | None = None) -> IntArray:
        """Places there now (or only those of ``among``), per node."""
        h = self.horizon
        alive = self.available(day) if among is None else among
        return np.bincount(h.slot_node[alive], minlength=len(h.node_program)).astype(np.int64)

    def waiting(self, day: int) -> BoolArray:
        """Needs waiting now: arrived, not exited, not met."""
        h = self.horizon
        return np.asarray(
            (h.need_arrive <= day) & (day < h.need_exit) & (self.day_met == UNMET), dtype=bool
        )

    def money(self, day: int) -> int:
        """Cents the fund can still spend today."""
        return self.horizon.budget_by(day) - self.spent

    def take(self, day: int, arcs: IntArray) -> None:
        """Give each arc's need a place: the slot of its node that vanishes soonest."""
        h = self.horizon
        for a in arcs.tolist():
            node = h.node[a]
            free = np.flatnonzero(
                (h.slot_node == node) & (h.slot_appear <= day) & (day < h.slot_vanish) & ~self.used
            )
            slot = int(free[np.argmin(h.slot_vanish[free])])
            need = int(h.arcs.need[a])
            self.used[slot] = True
            self.day_met[need] = day
            self.arc[need] = a
            self.slot[need] = slot
            self.spent += int(h.cents[a])


def run_policy(
    horizon: Horizon,
    policy: str,
    learned: Learned | None = None,
    hold: float | None = None,
) -> Outcome:
    """Run one policy over the horizon (``priced`` needs the potentials ``learned`` from
    history, and may ``hold`` places from needs that are not acute)."""
    state = State.start(horizon)
    step: Callable[[State, int], None]
    if policy == "request":
        step = _requests
    elif policy == "resolve":
        step = _resolve
    elif policy == "priced":
        if learned is None:
            raise ValueError("priced needs the potentials learned from history")
        step = _priced(learned, hold)
    else:
        raise ValueError(f"unknown policy {policy!r}")
    for day in range(horizon.days):
        step(state, day)
    return Outcome(state.day_met, state.arc, state.slot)


def _resolve(state: State, day: int) -> None:
    waiting = state.waiting(day)
    if waiting.any():
        state.take(day, decide(state.horizon, waiting, state.room(day), state.money(day)))


def _priced(learned: Learned, hold: float | None) -> Callable[[State, int], None]:
    rates, chance = learned.acute_rates, learned.need_chance

    def step(state: State, day: int) -> None:
        h = state.horizon
        waiting = state.waiting(day)
        if not waiting.any():
            return
        if hold is not None:
            acute = h.tables.needs.acute
            available = state.available(day)
            worth = level4_potential(h, rates, day, available)
            state.take(
                day,
                decide(h, waiting & acute, state.room(day), state.money(day), worth, None, chance),
            )
            waiting &= ~acute
            spare = state.available(day) & (slot_chance(h, rates, day) <= hold)
            room = state.room(day, spare)
        else:
            room = state.room(day)
        worth = level4_potential(h, rates, day, state.available(day))
        state.take(day, decide(h, waiting, room, state.money(day), worth, None, chance))

    return step


def _requests(state: State, day: int) -> None:
    h = state.horizon
    retry = h.options.retry_days
    asks = np.flatnonzero(
        (h.arrive <= day) & (day < h.exit) & ((day - h.arrive) % retry == 0)
    ).tolist()
    if not asks:
        return
    waiting = state.waiting(day)
    owner = h.tables.needs.participant
    # Needs are listed participant by participant and arcs need by need: each
    # participant's needs, and their arcs, are one contiguous range.
    first_need = np.searchsorted(owner, np.arange(len(h.arrive) + 1))
    first_arc = np.searchsorted(h.arcs.need, first_need)
    for person in asks:
        mine = np.zeros_like(waiting)
        lo, hi = first_need[person], first_need[person + 1]
        mine[lo:hi] = waiting[lo:hi]
        if mine.any():
            arcs = np.arange(first_arc[person], first_arc[person + 1])
            chosen = decide(h, mine, state.room(day), state.money(day), among=arcs)
            state.take(day, chosen)
            waiting[h.arcs.need[chosen]] = False
