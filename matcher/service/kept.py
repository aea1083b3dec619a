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
the stamp does not match, the copy is read again whole, in a read-only transaction
of its own (so it never holds a write that may yet be rolled back).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import ColumnElement, and_, or_, text
from sqlalchemy.pool import Pool
from sqlmodel import Session, col, select

from matcher.capacity.ledger import ProgramLedger
from matcher.capacity.referral import Status
from matcher.part import Network, network_of, reached, sub_scenario
from matcher.scenario import Fund, Need, Participant, Program, Scenario
from matcher.service.checks import with_travel_limit
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.ledger import states_now
from matcher.store.snapshot import (
    MATCHABLE,
    at_waitlists,
    available_budget_cents,
    declined_of,
    participant_of,
    plans_of,
    program_of,
)

TAKEN = (Status.HELD, Status.REFERRED, Status.OFFERED, Status.ENROLLED)
"""Statuses of a referral that take its need out of the queue."""


def taking(now: datetime) -> ColumnElement[bool]:
    """The referrals that take their need out of the queue at ``now``: a placement, or
    an open referral whose hold still counts. A hold stops counting at its expiry
    whether or not the expiry is recorded yet (``ProgramLedger.capacity_at`` frees its
    place then), so its need waits again from that moment: the queue never has the
    place free and the need out of it at once."""
    return or_(
        col(t.Referral.status) == Status.ENROLLED.value,
        and_(
            col(t.Referral.status).in_([s.value for s in TAKEN if s != Status.ENROLLED]),
            col(t.Referral.expires_at) > now,
        ),
    )


def with_passes(needs: list[Need], passed: dict[str, set[str]]) -> list[Need]:
    """``needs`` with the programs passed on for each (``recent_passes``) counted as
    declined by it, for the re-solve only."""
    return [
        n.model_copy(update={"declined_programs": sorted({*n.declined_programs, *passed[n.id]})})
        if n.id in passed
        else n
        for n in needs
    ]


def recent_passes(session: Session, since: datetime) -> dict[str, set[str]]:
    """Need id -> the programs an offer for it was passed on at after ``since``."""
    rows = session.exec(
        select(t.Referral.need_id, t.Referral.program_id).where(
            t.Referral.status == Status.PASSED.value, t.Referral.updated_at > since
        )
    ).all()
    out: dict[str, set[str]] = {}
    for need, program in rows:
        out.setdefault(need, set()).add(program)
    return out


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
    need_at: dict[str, int]
    """Need id -> its place among the network's needs."""


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
    # Not validated again: the rows were on the way in (and a recorded waitlist
    # position may name a program the scenario leaves out until each event reads it).
    network = network_of(
        Scenario.model_construct(programs=programs, participants=people, fund=Fund())
    )
    need_at = {n.id: k for k, (_, n) in enumerate(network.needs)}
    return Kept(stamp, default_km, people, programs, network, need_at)


class KeptQueue:
    """A process's kept copies, one per store, read again when their stamp fails. A
    store is known by its engine's connection pool: a read-only session's engine is a
    view of the engine made afresh for each session (``execution_options``), sharing
    its pool, so keying by the engine would keep no copy between read-only sessions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: weakref.WeakKeyDictionary[Pool, Kept] = weakref.WeakKeyDictionary()
        self.reads = 0
        """How many times a copy was read whole (for tests and benchmarks)."""

    def get(self, session: Session, now: datetime, default_km: float | None) -> Kept:
        """The kept copy for the session's store, checked against its stamp. A copy is
        read again in a read-only transaction of its own, so it holds only committed
        rows; if the caller's transaction wrote what it copies (not yet committed),
        the caller gets a copy of its own view, which is not kept."""
        engine = session.get_bind().engine
        with self._lock:
            kept = self._kept.get(engine.pool)
        if kept is not None and kept.default_km == default_km and still_true(session, kept.stamp):
            return kept
        with session_scope(engine, read_only=True) as reader:
            kept = read_kept(reader, now, default_km)
        if not still_true(session, kept.stamp):
            return read_kept(session, now, default_km)
        with self._lock:
            self._kept[engine.pool] = kept
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
    passed_within: timedelta | None,
    kept: KeptQueue = KEPT,
    rounds: int | None = 1,
    only: tuple[Collection[str], Collection[str]] | None = None,
) -> Scenario:
    """The part of LEAD's queue an event touches (``matcher.part``, ``rounds``
    rounds), equal to ``touched_part(queue_scenario(...), ..., rounds=rounds)``; or,
    with ``only`` (program ids, need ids), the queue's programs and waiting needs
    among those. Participants, plans and programs come from the kept copy; capacity,
    the fund, which needs wait, declines and passes are read now, the last two only
    for the participants in the part."""
    copy = kept.get(session, now, default_km)
    states = states_now(session)
    empty = ProgramLedger()
    capacities = [states.get(g.id, empty).capacity_at(now) for g in copy.programs]
    budget = available_budget_cents(session, now) / 100
    waiting = np.ones(len(copy.network.needs), dtype=bool)
    held = session.exec(select(t.Referral.need_id).where(taking(now)))
    for need_id in held:
        at = copy.need_at.get(need_id)
        if at is not None:
            waiting[at] = False
    net = copy.network.with_capacities(capacities, budget).only_needs(waiting)
    if only is None:
        seen_p, seen_n = reached(net, program_ids, need_ids, rounds=rounds)
    else:
        programs_in, needs_in = set(only[0]), set(only[1])
        seen_p = np.array([g.id in programs_in for g in net.programs], dtype=bool)
        seen_n = np.array([n.id in needs_in for _, n in net.needs], dtype=bool)
    programs = [
        g.model_copy(update={"capacity": c}) if keep else g
        for g, c, keep in zip(copy.programs, capacities, seen_p, strict=True)
    ]
    net = replace(net, programs=programs)
    part_people = sorted({net.needs[int(k)][0] for k in np.flatnonzero(seen_n)})
    declined = declined_of(session, [copy.people[i].id for i in part_people])
    passes = recent_passes(session, now - passed_within) if passed_within else {}
    waitlists = {g.id: c.waitlist for g, c in zip(copy.programs, capacities, strict=True)}
    people = list(copy.people)
    for i in part_people:
        person = copy.people[i]
        if any(n.id in declined or n.id in passes for n in person.needs):
            needs = [
                n.model_copy(update={"declined_programs": declined[n.id]})
                if n.id in declined
                else n
                for n in person.needs
            ]
            person = person.model_copy(update={"needs": with_passes(needs, passes)})
        if person.waitlist_positions:
            person = at_waitlists(person, waitlists)
        people[i] = person
    scenario = Scenario.model_construct(
        as_of=now, fund=Fund(budget=budget), programs=programs, participants=people
    )
    return sub_scenario(scenario, net, seen_p, seen_n)
