"""Live potentials: the queue's level 4 priced by what the ledger's history shows.

``priced`` (``MATCHER_OFFER_POLICY``, the default) learns, from the last
``MATCHER_POTENTIAL_DAYS`` days of the ledger replayed as a horizon
(``matcher.simulate.replay.replay_horizon``), what ``matcher simulate``'s ``priced``
policy learns (``matcher.simulate.potentials``):

- per (program, pool): acute needs per day that could use a place there
  (``acute_rates``), and places per day that appeared there;
- the mean stay of a participant (for each need's chance of another place).

A live place has no known vanish day, so a node's chance that an acute need wants a
place there before it is gone is taken over the **mean life of a place in the
window** (appearance to use or withdrawal): if lives are memoryless, a place's
expected remaining life is the mean life whatever its age. Places and stays still
open at the window's end count up to the end, so both means lean short (the
potentials lean small, never past what the window saw).

The potentials act only at level 4 (``matcher.solver.level4``): levels 1-3 of
every answer are the exact ones of the plain queue. They apply wherever the queue's
optimum is solved (offers, a participant's matches, a hold's queue check), so those
answers stay one answer.

With fewer than ``MIN_ACUTE`` acute needs in the window the rates are mostly noise
(most nodes see none, a few see one): the queue then runs plain (``source`` "none").
A generated horizon is not used instead: its arrivals are the generator's
assumptions, not the site's, and would price places by made-up demand.

Learning reads the store (in a read-only transaction of its own), so it is cached per
process and database and recomputed at most hourly: the window ends at the start of
the current hour, so every process learning within one hour reads the same window
and learns the same potentials. Learning takes a while at county scale
(``docs/benchmarks.md``), so no request should pay for it: the in-process jobs on
SQLite and the workers' hourly re-solve of the whole queue learn first in their
processes, and each API process on PostgreSQL runs a ``Warmer`` that learns when it
starts and just after each hour begins.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.pool import Pool
from sqlmodel import Session

from matcher.background import Background
from matcher.capacity.pools import Pool as PlacePool
from matcher.settings import get_settings
from matcher.simulate.horizon import SimOptions
from matcher.simulate.potentials import acute_rates
from matcher.simulate.replay import replay_horizon
from matcher.solver.level4 import Level4, points_of
from matcher.store.engine import session_scope

log = logging.getLogger(__name__)

MIN_ACUTE = 20
"""Fewer acute needs than this in the window: no potentials (the plain queue)."""

Policy = Literal["priced", "resolve"]
Source = Literal["history", "none", "off"]


@dataclass(frozen=True)
class NodePotential:
    """One (program, pool) as learned: acute needs and places per day, and the chance
    (0-1) that an acute need wants a place there within a place's mean life."""

    program_id: str
    pool: str
    acute_per_day: float
    places_per_day: float
    chance: float


@dataclass(frozen=True)
class Potentials:
    """What the queue's level 4 uses and where it came from (``source``: ``history``,
    ``none`` when the window is too thin, ``off`` under the ``resolve`` policy)."""

    policy: Policy
    source: Source
    window_start: datetime
    window_end: datetime
    acute_needs: int
    place_life_days: float
    stay_days: float
    reason: str
    nodes: list[NodePotential] = field(default_factory=list)
    level4: Level4 | None = None


def window_end(now: datetime) -> datetime:
    """The start of ``now``'s hour: where the learning window ends."""
    return now.replace(minute=0, second=0, microsecond=0)


def learn(session: Session, now: datetime, days: int, policy: Policy = "priced") -> Potentials:
    """The potentials of the ``days`` days of history before ``now``'s hour."""
    end = window_end(now)
    start = end - timedelta(days=days)
    if policy == "resolve":
        return Potentials(policy, "off", start, end, 0, 0.0, 0.0, "the offer policy is resolve")
    h = replay_horizon(session, end, SimOptions(days=days)).horizon
    acute = int(h.tables.needs.acute.sum())
    life = float(np.mean(h.slot_vanish - h.slot_appear)) if len(h.slot_node) else 0.0
    stay = float(np.mean(h.exit - h.arrive)) if len(h.arrive) else 0.0
    if acute < MIN_ACUTE:
        reason = f"{acute} acute need(s) in the window, fewer than {MIN_ACUTE}: plain queue"
        return Potentials(policy, "none", start, end, acute, life, stay, reason)
    rates = acute_rates(h, h)
    places = np.bincount(h.slot_node, minlength=len(h.node_program)) / max(h.days, 1)
    chance = 1.0 - np.exp(-rates * life)
    ids = h.tables.programs.ids
    nodes = [
        NodePotential(ids[g], PlacePool(p).label, float(a), float(r), round(float(c), 4))
        for g, p, a, r, c in zip(
            h.node_program.tolist(), h.node_pool.tolist(), rates, places, chance, strict=True
        )
    ]
    pairs = zip(h.node_program.tolist(), h.node_pool.tolist(), strict=True)
    keys = [(ids[g], int(p)) for g, p in pairs]
    level4 = Level4(
        node_points=dict(zip(keys, points_of(chance).tolist(), strict=True)),
        place_rates=dict(zip(keys, places.tolist(), strict=True)),
        stay_days=stay,
    )
    reason = f"learned from {acute} acute need(s) over {days} day(s)"
    return Potentials(policy, "history", start, end, acute, life, stay, reason, nodes, level4)


_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[Pool, Potentials] = weakref.WeakKeyDictionary()
"""Keyed by the engine's connection pool, which its option-bearing copies share."""


def current(
    session: Session, now: datetime, *, policy: Policy | None = None, days: int | None = None
) -> Potentials:
    """The potentials for ``now``: the cached ones while they are of ``now``'s hour and
    settings, else learned afresh in a read-only transaction of their own (a writer's
    locks are not held while the ledger is read; ``policy`` and ``days`` default to the
    settings)."""
    settings = get_settings()
    policy = policy or settings.offer_policy
    days = days or settings.potential_days
    engine = _engine_of(session)
    with _lock:
        known = _cache.get(engine.pool)
    fresh = (
        known is not None
        and known.window_end == window_end(now)
        and known.policy == policy
        and known.window_end - known.window_start == timedelta(days=days)
    )
    if fresh and known is not None:
        return known
    with session_scope(engine, read_only=True) as reader:
        learned = learn(reader, now, days, policy)
    with _lock:
        _cache[engine.pool] = learned
    return learned


def level4_for(session: Session, now: datetime) -> Level4 | None:
    """The level-4 potentials the queue's optimum uses at ``now`` (``None``: plain)."""
    return current(session, now).level4


def forget() -> None:
    """Drop every cached potential (the next use learns afresh)."""
    with _lock:
        _cache.clear()


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


class Warmer(Background):
    """A daemon thread that learns the potentials when a process starts and again just
    after each hour begins, so no request pays for the learning: for API processes on
    PostgreSQL, where the jobs (and their hourly re-solve, which learns too) run in
    ``matcher worker`` processes whose cache the API process does not share. A failed
    learning is left for the next hour (or the first request) and never stops the
    thread; nothing about it is logged beyond its type."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        super().__init__("matcher-potentials")
        self.engine = engine
        self.clock = clock

    def warm(self) -> None:
        """Learn (or find cached) the potentials of the clock's hour."""
        try:
            with session_scope(self.engine, read_only=True) as session:
                current(session, self.clock())
        except Exception as error:
            log.warning("learning the queue's potentials failed: %s", type(error).__name__)

    def _loop(self) -> None:
        self.warm()
        while not self._stop.wait(_seconds_to_next_hour(self.clock()) + WARM_AFTER_SECONDS):
            self.warm()


WARM_AFTER_SECONDS = 5.0
"""How long after an hour begins the warmer learns (the new window is then closed)."""


def _seconds_to_next_hour(now: datetime) -> float:
    return (window_end(now) + timedelta(hours=1) - now).total_seconds()
