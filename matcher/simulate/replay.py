"""A horizon read from a store's ledger: ``matcher simulate --replay``.

The window is the last ``days`` days up to ``end`` (now). What happened in it is
read from the store, then the same policies and hindsight as a generated horizon
run on it:

- **Participants** arrive when they were created (or at the window's start, if
  they were active then) and leave at their recorded exits
  (``participant_activity``). A return after an exit is a new stay, replayed as a
  new arrival with the plan's needs (its pseudonym gets ``#2``, ``#3``...).
- **Needs** are each participant's plan as the store holds it now, waiting from
  the stay's start: the store keeps only a need's latest ``waiting_since`` (the end
  of a placement moves it on), not when each need entered the plan.
- **Places** are the places LEAD could use, from each program's ledger events: a
  general place exists while it is unused (beyond the waitlist) or held by one of
  LEAD's holds, so a hold placed, released or expired moves nothing, and a place
  ends when a provider's report lowers the count or an enrolment fills it; a
  placement ended or a report raising unused places makes one appear. A place the
  fund already paid for exists until a placement fills it; one the fund may buy
  until it is bought or the provider stops selling it. When a count falls, the
  place open longest goes first.
- **Money**: the fund's balance at the window's start (today's balance, less the
  top-ups since, plus the purchases paid since) on day 0, then each top-up
  (``fund_top_up``) on its day.

Times are read to the day: a place or a stay present during part of a day counts
for that day. Where the ledger cannot say something, the replay assumes the less
favourable case and says so in ``notes``.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlmodel import Session

from matcher.capacity.ledger import Event, ProgramLedger, apply
from matcher.capacity.pools import Pool, pools_of, unused_places
from matcher.rules.arcs import candidate_arcs
from matcher.rules.tables import IntArray, build_tables
from matcher.scenario import Fund, Participant, Scenario
from matcher.simulate import compare
from matcher.simulate.horizon import Horizon, SimOptions, assemble
from matcher.simulate.policies import Outcome
from matcher.solver.flow import PoolNodes
from matcher.store import tables as t
from matcher.store.history import History, read_history
from matcher.store.snapshot import participant_of, program_of

DAY = timedelta(days=1)
POOLS = (Pool.GENERAL, Pool.LEAD_RESERVED, Pool.PURCHASE)

Counts = tuple[int, int, int]
"""Places LEAD could use at one moment: general, paid for, for sale."""
Stay = tuple[datetime, datetime | None]
"""From when to when a participant was active (``None``: still active)."""


@dataclass(frozen=True)
class Replayed:
    """A horizon read from the ledger, its window, and what the replay had to assume."""

    horizon: Horizon
    start: datetime
    end: datetime
    notes: list[str]


@dataclass(frozen=True)
class _Clock:
    """Moments as days of the window."""

    start: datetime
    days: int

    def first(self, at: datetime) -> int:
        """The day ``at`` falls on (clamped to the window)."""
        return min(max(math.floor((at - self.start) / DAY), 0), self.days - 1)

    def after(self, at: datetime | None) -> int:
        """The first day wholly after ``at`` (``None``: the window's end)."""
        if at is None:
            return self.days
        return min(max(math.ceil((at - self.start) / DAY), 0), self.days)


def replay_horizon(session: Session, end: datetime, options: SimOptions) -> Replayed:
    """The horizon of the ``options.days`` days up to ``end`` (see the module docstring);
    ``options``' other sizes are replaced by what the store holds."""
    start = end - options.days * DAY
    return horizon_of(read_history(session, start, end), start, end, options)


def replay(
    session: Session,
    end: datetime,
    options: SimOptions,
    policies: Sequence[str],
    progress: Callable[[str], None] | None = None,
) -> tuple[Horizon, dict[str, Outcome], dict[str, Any]]:
    """``simulate`` on the ledger's window of ``options.days`` days up to ``end``: the
    same report, its horizon saying where it came from, and ``notes`` listing what the
    replay assumed. ``priced`` learns its potentials from the window's first half
    (the store's own history; it is then scored on the whole window, that half too)."""
    replayed = replay_horizon(session, end, options)
    learn_days = max(1, options.days // 2)

    def history() -> Horizon:
        window = replace(options, days=learn_days)
        return replay_horizon(session, replayed.start + learn_days * DAY, window).horizon

    outcomes, report = compare(replayed.horizon, policies, history, progress or (lambda _: None))
    report["horizon"].update(
        source="replay", seed=None, start=replayed.start.isoformat(), end=replayed.end.isoformat()
    )
    notes = list(replayed.notes)
    if "priced" in policies:
        notes.append(
            f"priced learned its potentials from the window's first {learn_days} day(s), "
            "which it is then also scored on"
        )
    report["notes"] = notes
    return replayed.horizon, outcomes, report


def horizon_of(history: History, start: datetime, end: datetime, options: SimOptions) -> Replayed:
    """The horizon of ``[start, end)`` from what the store recorded (``read_history``)."""
    clock = _Clock(start, options.days)
    said: Counter[str] = Counter()
    programs = []
    places: list[tuple[int, Pool, datetime, datetime | None]] = []
    for j, row in enumerate(history.programs):
        state, steps = program_steps(history.events[row.id], start, end)
        programs.append(program_of(row, state, end))
        for k, pool in enumerate(POOLS):
            places.extend(
                (j, pool, appear, vanish)
                for appear, vanish in windows([(at, c[k]) for at, c in steps])
            )
    people, arrive, exit_day = _people(history, clock, end, said)
    balance, topup_day, topup_cents = _money(history, clock, said)
    scenario = Scenario(
        as_of=start, fund=Fund(budget=balance / 100), programs=programs, participants=people
    )
    sized = replace(options, participants=len(people), programs=len(programs), plan=())
    horizon = _assemble(
        scenario, sized, places, clock, (arrive, exit_day), (topup_day, topup_cents)
    )
    return Replayed(horizon, start, end, _notes(said))


def counts_at(state: ProgramLedger, at: datetime) -> Counts:
    """Places LEAD could use at ``at``: unused general places and those LEAD holds;
    places paid for; places for sale (held ones included)."""
    cap = state.capacity_at(at)
    general = unused_places(cap) + len(state.active_holds(at, "general"))
    return general, state.lead_reserved, state.purchasable


def program_steps(
    events: Sequence[Event], start: datetime, end: datetime
) -> tuple[ProgramLedger, list[tuple[datetime, Counts]]]:
    """A program's state at ``end`` and its counts at the window's start and after each
    event in the window. Events apply in their recorded order; an event stamped later
    than one recorded after it (an import stamped with its source's report time)
    counts at that later event's time."""
    times: list[datetime] = []
    for event in reversed(events):
        times.append(event.at if not times else min(event.at, times[-1]))
    times.reverse()
    state = ProgramLedger()
    steps: list[tuple[datetime, Counts]] = []
    for event, at in zip(events, times, strict=True):
        if at >= end:
            break
        if at >= start and not steps:
            steps.append((start, counts_at(state, start)))
        state = apply(state, event)
        if steps:
            steps.append((at, counts_at(state, at)))
    if not steps:
        steps.append((start, counts_at(state, start)))
    return state, steps


def windows(steps: Sequence[tuple[datetime, int]]) -> list[tuple[datetime, datetime | None]]:
    """A count over time as places, each from when it appeared to when it vanished
    (``None``: still there at the end); when the count falls, the oldest place goes."""
    here: deque[datetime] = deque()
    out: list[tuple[datetime, datetime | None]] = []
    for at, count in steps:
        while len(here) < count:
            here.append(at)
        while len(here) > count:
            out.append((here.popleft(), at))
    out.extend((appear, None) for appear in here)
    return out


def stays(
    created: datetime,
    active_now: bool,
    updated: datetime,
    changes: Sequence[t.ParticipantActivity],
    said: Counter[str],
) -> list[Stay]:
    """When a participant was active: from creation, cut by each recorded exit and
    opened again by each return. Rows from before exits were recorded: an inactive
    participant with no recorded exit left at their last update (the deactivation's
    own time unless edited since); a return with no recorded exit before it follows
    an exit of unknown time, so the stay before it is left out."""
    begin: datetime | None = created
    if changes and changes[0].active:
        said["return_without_exit"] += 1
        begin = None
    out: list[Stay] = []
    for change in changes:
        if change.active and begin is None:
            begin = change.at
        elif not change.active and begin is not None:
            out.append((begin, change.at))
            begin = None
    if begin is not None:
        if not changes and not active_now:
            said["exit_at_update"] += 1
            out.append((begin, max(updated, begin)))
        else:
            out.append((begin, None))
    return out


def _people(
    history: History, clock: _Clock, end: datetime, said: Counter[str]
) -> tuple[list[Participant], IntArray, IntArray]:
    """Each stay that overlaps the window, as a participant with the plan's needs, in
    order of arrival; their arrival and exit days."""
    found: list[tuple[int, int, str, Participant]] = []
    for row in history.participants:
        plan = history.plans.get(row.id, [])
        if not plan:
            continue
        kept = [
            (begin, finish)
            for begin, finish in stays(
                row.created_at, row.active, row.updated_at, history.changes.get(row.id, []), said
            )
            if begin < end and (finish is None or finish > clock.start)
        ]
        if not kept:
            continue
        person = participant_of(row, plan, history.declined)
        person = person.model_copy(update={"waitlist_positions": []})
        if row.deidentified_at is not None:
            said["deidentified"] += 1
        if row.waitlist_positions:
            said["waitlist_positions"] += 1
        for k, (begin, finish) in enumerate(kept):
            arrive = clock.first(begin)
            leave = max(clock.after(finish), arrive + 1)
            stay = person if k == 0 else _again(person, k + 1)
            if k:
                said["returns"] += 1
            found.append((arrive, leave, stay.id, stay))
    found.sort(key=lambda f: (f[0], f[2]))
    return (
        [f[3] for f in found],
        np.array([f[0] for f in found], dtype=np.int64),
        np.array([f[1] for f in found], dtype=np.int64),
    )


def _again(person: Participant, stay: int) -> Participant:
    """A participant's later stay: the same person and plan under ids of its own."""
    needs = [n.model_copy(update={"id": f"{n.id}#{stay}"}) for n in person.needs]
    return person.model_copy(update={"id": f"{person.id}#{stay}", "needs": needs})


def _money(history: History, clock: _Clock, said: Counter[str]) -> tuple[int, IntArray, IntArray]:
    """The balance at the window's start, and the top-ups (day 0: that balance)."""
    balance = history.balance - history.added_since + history.paid_since
    if balance < 0:  # the fund was set (an import) inside the window
        said["negative_balance"] += 1
        balance = 0
    days = np.array([0] + [clock.first(r.at) for r in history.top_ups], dtype=np.int64)
    cents = np.array([balance] + [r.cents for r in history.top_ups], dtype=np.int64)
    return balance, days, cents


def _assemble(
    scenario: Scenario,
    options: SimOptions,
    places: Sequence[tuple[int, Pool, datetime, datetime | None]],
    clock: _Clock,
    stays_days: tuple[IntArray, IntArray],
    money: tuple[IntArray, IntArray],
) -> Horizon:
    """The horizon: arcs to every node that ever has a place, and the places as slots
    (a place no need could ever use is left out, as in a generated horizon)."""
    tables = build_tables(scenario)
    pools = pools_of(scenario.programs, scenario.participants)
    n = len(scenario.programs)
    ever = {pool: np.zeros(n, np.int64) for pool in POOLS}
    for j, pool, _, _ in places:
        ever[pool][j] = 1
    reach = replace(
        pools,
        general=ever[Pool.GENERAL],
        lead_reserved=ever[Pool.LEAD_RESERVED],
        purchase=np.where(pools.fundable, ever[Pool.PURCHASE], 0),
        turns=np.zeros(0, np.int64),
        turn_count=np.zeros(n, np.int64),
    )
    arcs = candidate_arcs(tables, reach)
    nodes = PoolNodes.of(arcs.program, arcs.pool)
    node_of = {
        (int(g), int(p)): k for k, (g, p) in enumerate(zip(nodes.program, nodes.pool, strict=True))
    }
    slot_node, slot_appear, slot_vanish = [], [], []
    for j, pool, appear, vanish in places:
        node = node_of.get((j, int(pool)))
        first, last = clock.first(appear), clock.after(vanish)
        if node is None or last <= first:
            continue
        slot_node.append(node)
        slot_appear.append(first)
        slot_vanish.append(last)
    slots = (
        np.array(slot_node, dtype=np.int64),
        np.array(slot_appear, dtype=np.int64),
        np.array(slot_vanish, dtype=np.int64),
    )
    return assemble(options, scenario, tables, arcs, nodes, stays_days, slots, money)


NOTES = {
    "exit_at_update": "{n} inactive participant(s) had no recorded exit (rows from before "
    "exits were recorded): each is taken to have left at their last update",
    "return_without_exit": "{n} participant(s) returned with no recorded exit before: the "
    "stay before the return is left out",
    "returns": "{n} return(s) after an exit replayed as new arrivals with the plan's needs",
    "deidentified": "{n} participant(s) were de-identified by retention: their rules are "
    "checked on what is left (no attributes, location to about a kilometre)",
    "waitlist_positions": "{n} participant(s) wait on community waitlists: their own turns "
    "are not replayed (only places beyond the waitlist are)",
    "negative_balance": "the fund's balance at the window's start reads below zero (set "
    "inside the window, e.g. by an import): it is taken as zero",
}
ALWAYS = (
    "needs wait from their participant's arrival: the store keeps a need's latest "
    "waiting time only, not when it entered the plan",
    "a place LEAD held counts as one of the places through the hold; the enrolment that "
    "fills it ends it",
    "times are read to the day: a place or a stay present for part of a day counts for it",
    "programs and participants are read as stored now (rules, barriers, attributes, "
    "plans), not as they were during the window",
)


def _notes(said: Counter[str]) -> list[str]:
    return [*ALWAYS, *(NOTES[k].format(n=n) for k, n in sorted(said.items()) if n)]
