"""``matcher simulate --replay`` on a store that lived through a generated year.

``python -m benchmarks.replay --size site --seed 1 [--database-url URL]``

A generated horizon (``matcher.simulate``) is written into a fresh store through the
service layer, as a site would have lived it: programs imported the day before,
participants created on their arrival day and made inactive on their exit day,
each program's unused places reported whenever their count changes, the fund's
top-ups. The ledger is then replayed (``matcher.simulate.replay``) and compared with
the horizon it came from: arrivals, exits, the places at every program on every day
and the money by every day must be the same; hindsight and the policies run on both
(a place that vanishes on the day another appears at the same program reads as one
place in the ledger, so the replay can only have fewer ways to meet needs).
Reports the time to write, to read the replay, and each answer on both.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine

from benchmarks.report import machine, today
from matcher.capacity.pools import Pool
from matcher.service import capacity, fund, participants
from matcher.simulate import compare
from matcher.simulate.horizon import Horizon, SimOptions, generate_horizon
from matcher.simulate.replay import Replayed, replay_horizon
from matcher.store.engine import make_engine, session_scope, upgrade
from matcher.store.snapshot import import_scenario

START = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
CASE_LOAD = "cm-1"
SIZES = {"tiny": (200, 20), "site": (1_000, 100)}
POLICIES_RUN = ("request", "resolve")
"""``priced`` learns from a history on the same program indices, which a generated
history and a replay do not share: it is measured by ``benchmarks.simulate``."""


def general_counts(horizon: Horizon) -> dict[str, npt.NDArray[np.int64]]:
    """Per program id: its general places alive on each day."""
    ids = [g.id for g in horizon.scenario.programs]
    out: dict[str, npt.NDArray[np.int64]] = {}
    general = horizon.node_pool[horizon.slot_node] == int(Pool.GENERAL)
    for node, appear, vanish in zip(
        horizon.slot_node[general],
        horizon.slot_appear[general],
        horizon.slot_vanish[general],
        strict=True,
    ):
        row = out.setdefault(ids[horizon.node_program[node]], np.zeros(horizon.days, np.int64))
        row[appear:vanish] += 1
    return out


def record(engine: Engine, horizon: Horizon, start: datetime = START) -> None:
    """Live through ``horizon`` in the store behind ``engine`` (see the module docstring)."""
    scenario = horizon.scenario
    opening = scenario.model_copy(
        update={
            "participants": [],
            "fund": scenario.fund.model_copy(update={"budget": int(horizon.topup_cents[0]) / 100}),
        }
    )
    with session_scope(engine) as s:
        import_scenario(s, opening, start - DAY, case_manager_id=CASE_LOAD)
    counts = general_counts(horizon)
    org = {g.id: g.provider_id for g in scenario.programs}
    people = scenario.participants
    for day in range(horizon.days):
        at = start + day * DAY

        def live(s: Any, day: int = day, at: datetime = at) -> None:
            for pid, row in counts.items():
                if day == 0 or row[day] != row[day - 1]:
                    capacity.report_capacity(
                        s,
                        org[pid],
                        pid,
                        open_slots=int(row[day]),
                        waitlist=0,
                        actor="provider",
                        now=at,
                    )
            if day == 0:  # programs without general places report none
                for pid in sorted(set(org) - set(counts)):
                    capacity.report_capacity(
                        s, org[pid], pid, open_slots=0, waitlist=0, actor="provider", now=at
                    )
            for i in np.flatnonzero(horizon.arrive == day):
                participants.create(s, CASE_LOAD, people[i], at + timedelta(minutes=1))
            for i in np.flatnonzero((horizon.exit == day) & (horizon.exit < horizon.days)):
                body = participants.get(s, CASE_LOAD, people[i].id)
                participants.update(s, CASE_LOAD, body, at, active=False)
            for cents in horizon.topup_cents[1:][horizon.topup_day[1:] == day]:
                if cents > 0:
                    fund.top_up(s, int(cents) / 100, "", "funder", at + timedelta(minutes=1))

        with session_scope(engine) as s:
            live(s)


def differences(horizon: Horizon, replayed: Horizon) -> list[str]:
    """What the replay reads differently from the horizon the store lived through."""
    out: list[str] = []
    ids = [p.id for p in horizon.scenario.participants]
    theirs = {(ids[i], int(horizon.arrive[i]), int(horizon.exit[i])) for i in range(len(ids))}
    back = [p.id for p in replayed.scenario.participants]
    ours = {(back[i], int(replayed.arrive[i]), int(replayed.exit[i])) for i in range(len(back))}
    if theirs != ours:
        out.append(f"stays: {len(theirs ^ ours)} differ")
    a, b = general_counts(horizon), general_counts(replayed)
    wrong = [p for p in set(a) | set(b) if not np.array_equal(a.get(p, 0), b.get(p, 0))]
    if wrong:
        out.append(f"general places differ at {len(wrong)} program(s)")
    for pool in (Pool.LEAD_RESERVED, Pool.PURCHASE):
        if _pool_size(horizon, pool) != _pool_size(replayed, pool):
            out.append(f"{pool.name.lower()} places differ")
    money = [d for d in range(horizon.days) if horizon.budget_by(d) != replayed.budget_by(d)]
    if money:
        out.append(f"the fund differs on {len(money)} day(s)")
    return out


def _pool_size(h: Horizon, pool: Pool) -> dict[str, int]:
    ids = [g.id for g in h.scenario.programs]
    at = h.node_pool[h.slot_node] == int(pool)
    out: dict[str, int] = {}
    for node in h.slot_node[at]:
        key = ids[h.node_program[node]]
        out[key] = out.get(key, 0) + 1
    return out


def _answers(horizon: Horizon) -> dict[str, Any]:
    """Hindsight and each policy's summary on ``horizon``."""
    _, report = compare(horizon, POLICIES_RUN, lambda: horizon, lambda _: None)
    return {"hindsight": report["hindsight"], **report["policies"]}


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    begin = time.perf_counter()
    done = work()
    return done, time.perf_counter() - begin


def main(argv: list[str] | None = None) -> None:
    """Write a generated year into a store, replay it, print what matched and the answers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="site")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    args = parser.parse_args(argv)
    people, programs = SIZES[args.size]
    options = SimOptions(days=args.days, participants=people, programs=programs, seed=args.seed)
    horizon = generate_horizon(options)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'replay.db'}"
        engine = make_engine(url)
        upgrade(engine)
        _, wrote = _timed(lambda: record(engine, horizon))
        end = START + args.days * DAY
        with session_scope(engine, read_only=True) as s:
            replayed, read = _timed(lambda: replay_horizon(s, end, options))
        engine.dispose()
    assert isinstance(replayed, Replayed)
    print(f"{today()}; {machine()}")
    print(f"size {args.size}, seed {args.seed}, {args.days} days, {url.split(':')[0]}")
    print(f"wrote the year through the service layer in {wrote:.1f} s; replay read in {read:.2f} s")
    print("differences:", "; ".join(differences(horizon, replayed.horizon)) or "none")
    print(f"{'answer':<10} {'generated':>22} {'replayed':>22}   (acute met / needs met)")
    results = {}
    for name, h in (("generated", horizon), ("replayed", replayed.horizon)):
        results[name] = _answers(h)
    for answer in ("hindsight", *POLICIES_RUN):
        cells = [
            f"{results[k][answer]['acute_met']:>6} / {results[k][answer]['needs_met']:<6}"
            f" d={results[k][answer]['displaced']}"
            for k in ("generated", "replayed")
        ]
        print(f"{answer:<10} {cells[0]:>22} {cells[1]:>22}")


if __name__ == "__main__":
    main()
