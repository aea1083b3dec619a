"""Foresight: hindsight over a window of the coming days, re-solved every day.

A diagnostic, not a policy the service could run: it is told the future. Each
day ``d``, after the day's events, it knows what the online policies know (the
needs waiting now, the places there now with the day each vanishes, the money
left) plus every event of days ``d .. d + window``: needs arriving, the days
participants leave, places appearing (with the day each vanishes) and the fund's
top-ups. It solves that window's hindsight problem exactly
(``hindsight.optimum`` over the horizon's meeting pairs, cut to the window and to
what is still free) and commits only today's part of the answer: each need
waiting today that the window's optimum serves with a place there today.

What the window does not show is treated as the online policies treat it: a
participant whose exit lies beyond the window (or whose exit is not shown) stays
to the window's end, a place that appears beyond it does not exist. The online
policies already see the day each place there now vanishes (``State.take`` takes
the soonest-vanishing slot; ``potentials.slot_chance`` counts the days left), so
the window shows those days whatever it is told.

Purchases are made as hindsight makes them, on the need's last waiting day the
window knows of (today, where exits are not shown): the money stays free for
others until then, which is what lets a window that covers the whole horizon
reproduce hindsight's acute needs met and needs met exactly. A window of 0 days
is today's batch, like ``resolve`` but without level-4 preferences.

``Foresight`` can show each kind of future event alone (arrivals, places, exits;
top-ups are always shown, as a fund knows its instalments), to measure how much
of hindsight's edge each kind carries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from matcher.rules.tables import IntArray
from matcher.simulate.hindsight import Pairs, meeting_pairs, optimum
from matcher.simulate.horizon import Horizon
from matcher.simulate.policies import UNMET, Outcome, State


@dataclass(frozen=True)
class Foresight:
    """How many days beyond today the window shows, and which kinds of event."""

    window: int
    arrivals: bool = True
    """Needs of participants who arrive in the window."""
    places: bool = True
    """Places that appear in the window."""
    exits: bool = True
    """The days participants leave, when in the window."""

    def __post_init__(self) -> None:
        if self.window < 0:
            raise ValueError(f"window: {self.window} days; it must be 0 or more")


def run_foresight(horizon: Horizon, sight: Foresight) -> Outcome:
    """Day by day, commit today's part of the window's hindsight optimum (module docstring)."""
    h = horizon
    state = State.start(h)
    pairs = meeting_pairs(h)
    arrive, leave = h.need_arrive[pairs.need], h.need_exit[pairs.need]
    appear, vanish = h.slot_appear[pairs.slot], h.slot_vanish[pairs.slot]
    for day in range(h.days):
        end = day + sight.window + 1
        free = ~state.used[pairs.slot] & (state.day_met[pairs.need] == UNMET) & (day < leave)
        now = (arrive <= day) & (appear <= day) & (day < vanish)
        if not (free & now).any():
            continue
        shown = free & (arrive < end if sight.arrivals else arrive <= day)
        shown &= appear < end if sight.places else appear <= day
        need_end = np.minimum(leave, end) if sight.exits else np.full_like(leave, end)
        stop = np.minimum(need_end, np.minimum(vanish, end))
        keep = np.flatnonzero(shown & (np.maximum(np.maximum(arrive, appear), day) < stop))
        # The day a purchase is made: the need's last waiting day the window knows of.
        last = need_end - 1 if sight.exits else np.maximum(arrive, day)
        window = Pairs(
            pairs.arc[keep], pairs.slot[keep], pairs.need[keep], pairs.cents[keep], last[keep]
        )
        pick = keep[optimum(_money(state, day, end), window)]
        today = now[pick] & ((pairs.cents[pick] == 0) | (last[pick] == day))
        state.take(day, pairs.arc[pick[today]])
    return Outcome(state.day_met, state.arc, state.slot)


def _money(state: State, day: int, end: int) -> Horizon:
    """The horizon with the window's top-ups: what is left today, then those due before
    ``end`` (the rows of ``hindsight.budget_rows``)."""
    h = state.horizon
    later = (h.topup_day > day) & (h.topup_day < end)
    days: IntArray = np.concatenate([[day], h.topup_day[later]]).astype(np.int64)
    cents: IntArray = np.concatenate([[state.money(day)], h.topup_cents[later]]).astype(np.int64)
    return replace(h, topup_day=days, topup_cents=cents)
