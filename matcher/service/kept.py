"""What the queue's re-solve keeps between events, and how it knows it is still true.

Reading the whole queue from the store (every active participant, decrypted, with
their plan) costs far more than solving the part an event touches. What the part's
search needs of participants, plans and programs changes rarely (a plan, a travel
limit, a program's services or place); what changes with every event (capacity,
holds, referrals, declines, passes, the fund) is cheap to read. So a long-running
worker keeps ``Kept``: the active participants as the contract's ``Participant``
(the site's travel limit applied, no declines, waitlist positions as recorded), the
matchable programs (capacity left out) and the network of possible arcs between
them, with the *stamp* of the store they were read from.

The stamp is held by the database: triggers on ``participant``, ``plan_need``,
``program`` and ``program_service`` (migration ``0023_queue_lock``) note every
write. On PostgreSQL each writing transaction leaves its id in ``structure_change``
and the stamp is the snapshot the copy was read under: the copy is still true while
no noted transaction is visible now that was not visible then (one indexed query).
On SQLite, whose writers take turns, row 0 of the table counts the writes. Whenever
the stamp does not match, or cannot be read, the copy is read again whole.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from matcher.capacity.ledger import ProgramLedger
from matcher.part import Network, network_of, reached, sub_scenario
from matcher.scenario import Fund, Participant, Program, Scenario
from matcher.service.checks import with_travel_limit
from matcher.service.queue import TAKEN, recent_passes, with_passes
from matcher.store import tables as t
from matcher.store.ledger import load_many
from matcher.store.snapshot import (
    MATCHABLE,
    available_budget_cents,
    declined_of,
    participant_of,
    plans_of,
    program_of,
    with_current_positions,
)

Stamp = int | str
"""SQLite: the count of writes; PostgreSQL: the snapshot (``pg_current_snapshot``)."""


@dataclass(frozen=True)
class Kept:
    """Participants, programs and their network as read under ``stamp``, for the
    site's travel limit ``default_km``."""

    stamp: Stamp
    default_km: float | None
    people: list[Participant]
    programs: list[Program]
    network: Network


def stamp_of(session: Session) -> Stamp:
    """The store's stamp now, read in the session's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        return str(session.execute(text("SELECT pg_current_snapshot()::text")).scalar_one())
    return int(session.execute(text("SELECT txid FROM structure_change WHERE id = 0")).scalar_one())


def still_true(session: Session, stamp: Stamp) -> bool:
    """Whether nothing kept changed since ``stamp`` was read."""
    if isinstance(stamp, int):
        return stamp_of(session) == stamp
    xmin = int(stamp.split(":", 1)[0])
    changed = session.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM structure_change WHERE txid >= :xmin AND NOT "
            "pg_visible_in_snapshot(txid::text::xid8, CAST(:stamp AS pg_snapshot)))"
        ),
        {"xmin": xmin, "stamp": stamp},
    ).scalar_one()
    return not changed


def read_kept(session: Session, now: datetime, default_km: float | None) -> Kept:
    """Read participants, plans and programs whole (the stamp first, so any write
    after it is seen by the next check)."""
    stamp = stamp_of(session)
    rows = session.exec(select(t.Program).where(MATCHABLE).order_by(col(t.Program.id)))
    programs = [program_of(row, ProgramLedger(), now) for row in rows]
    query = select(t.Participant).where(col(t.Participant.active)).order_by(col(t.Participant.id))
    found = list(session.exec(query))
    plans = plans_of(session, [r.id for r in found])
    people = [with_travel_limit(participant_of(r, plans[r.id]), default_km) for r in found]
    network = network_of(Scenario(programs=programs, participants=people, fund=Fund()))
    return Kept(stamp, default_km, people, programs, network)


class KeptQueue:
    """A process's kept copies, one per engine, read again when their stamp fails."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: weakref.WeakKeyDictionary[Engine, Kept] = weakref.WeakKeyDictionary()
        self.reads = 0
        """How many times a copy was read whole (for tests and benchmarks)."""

    def get(self, session: Session, now: datetime, default_km: float | None) -> Kept:
        """The kept copy for the session's store, checked against its stamp."""
        engine = session.get_bind().engine
        with self._lock:
            kept = self._kept.get(engine)
        if kept is not None and kept.default_km == default_km and still_true(session, kept.stamp):
            return kept
        kept = read_kept(session, now, default_km)
        with self._lock:
            self._kept[engine] = kept
            self.reads += 1
        return kept

    def clear(self) -> None:
        """Forget every kept copy."""
        with self._lock:
            self._kept.clear()


KEPT = KeptQueue()
"""The process's kept copies (the re-solve job's)."""


def event_part(
    session: Session,
    now: datetime,
    program_ids: set[str],
    need_ids: set[str],
    *,
    default_km: float | None,
    passed_within: timedelta,
    kept: KeptQueue = KEPT,
) -> Scenario:
    """The part of LEAD's queue an event touches (``matcher.part``, one round), equal
    to ``touched_part(queue_scenario(...), ..., rounds=1)``: participants, plans and
    programs from the kept copy; capacity, the fund, which needs wait, declines and
    passes read now, the last two only for the participants in the part."""
    copy = kept.get(session, now, default_km)
    states = {pid: loaded.state for pid, loaded in load_many(session).items()}
    empty = ProgramLedger()
    programs = [
        g.model_copy(update={"capacity": states.get(g.id, empty).capacity_at(now)})
        for g in copy.programs
    ]
    budget = available_budget_cents(session, now) / 100
    held = set(
        session.exec(
            select(t.Referral.need_id).where(col(t.Referral.status).in_([s.value for s in TAKEN]))
        )
    )
    waiting = np.array([n.id not in held for _, n in copy.network.needs], dtype=bool)
    net = copy.network.with_programs(programs, budget).only_needs(waiting)
    seen_p, seen_n = reached(net, program_ids, need_ids, rounds=1)
    part_people = sorted({net.needs[int(k)][0] for k in np.flatnonzero(seen_n)})
    ids = [copy.people[i].id for i in part_people]
    declined = declined_of(session, ids)
    passes = recent_passes(session, now - passed_within)
    people = list(copy.people)
    for i in part_people:
        person = copy.people[i]
        needs = [
            n.model_copy(update={"declined_programs": declined.get(n.id, [])}) for n in person.needs
        ]
        person = person.model_copy(update={"needs": with_passes(needs, passes)})
        people[i] = with_current_positions(person, programs)
    scenario = Scenario.model_construct(
        as_of=now, fund=Fund(budget=budget), programs=programs, participants=people
    )
    return sub_scenario(scenario, net, seen_p, seen_n)
