"""Holds checked against LEAD's queue, from several clients at once: their latency with
the queue's lock (``matcher.service.queue.lock_queue``) and, for comparison, without.

``python -m benchmarks.hold_latency --size site --clients 4 --holds 10 --database-url URL``

A generated instance is imported into a fresh PostgreSQL schema (or a SQLite file
without ``--database-url``) and the queue's optimum solved once; its placements are
dealt to the clients, each of which holds its share one after another (each hold in
its own transaction, with the queue's check), all clients at once. Run twice, on two
fresh stores: with the lock, and with ``lock_queue`` replaced by nothing (the check
as it was before the lock; ``--only-locked`` leaves this run out). Prints the median
and 90th percentile latency per hold, the holds per second, and how many holds were
accepted.

``--picks other`` deals, instead of the optimum's placements, holds the optimum does
not make: for a need it places, a general place at another program the rules allow.
Such a hold is mostly decided by solving the part around it again with the hold
fixed; the optimum's own picks are accepted from the first solve alone
(``matcher.service.queue.kept_by_construction``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Barrier, Lock
from typing import Any
from unittest import mock

import numpy as np
from sqlalchemy import Engine, create_engine, text

from matcher.capacity.pools import Pool
from matcher.generate import GenerateOptions, generate
from matcher.scenario import Scenario, parse_scenario
from matcher.service import referrals
from matcher.service.errors import ServiceError
from matcher.service.potentials import level4_for
from matcher.service.queue import QueueCheck, queue_scenario, solve_queue
from matcher.solver.solve import SolverOptions, solve
from matcher.store.engine import make_engine, session_scope, upgrade
from matcher.store.snapshot import import_scenario

SIZES = {"site": (1_000, 100), "county": (10_000, 1_000)}
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
CHECK = QueueCheck(default_max_distance_km=None, time_limit=60)
PICKS = ("optimum", "other")
COMMANDS = "matcher.service.referrals.commands"


class Counted:
    """A function that counts its calls (the part solves of the holds' checks)."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.count = 0
        self._lock = Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.count += 1
        return self.function(*args, **kwargs)


@dataclass(frozen=True)
class Pick:
    """A hold to place: a need at a program's general pool."""

    participant_id: str
    need_id: str
    program_id: str


def deal(engine: Engine, picks: str) -> list[Pick]:
    """General-pool holds from the queue's optimum (``optimum``), or, for each need
    the optimum places, a general place at another program its candidate arcs allow
    (``other``)."""
    with session_scope(engine) as s:
        scenario = queue_scenario(s, NOW, default_max_distance_km=CHECK.default_max_distance_km)
        options = SolverOptions(time_limit=CHECK.time_limit, level4=level4_for(s, NOW))
    solution = solve(scenario, options)
    arcs, needs = solution.arcs, solution.tables.needs
    general = arcs.pool == Pool.GENERAL
    if picks == "optimum":
        mask = solution.chosen & general
    else:
        placed = np.zeros(len(needs.ids), dtype=bool)
        placed[arcs.need[solution.chosen]] = True
        mask = ~solution.chosen & general & placed[arcs.need]
        # one other place per need: the first arc of each need among those left
        first = np.unique(arcs.need[mask], return_index=True)[1]
        mask = np.isin(np.arange(len(arcs)), np.flatnonzero(mask)[first])
    people, programs = solution.tables.participants.ids, solution.tables.programs.ids
    return [
        Pick(people[needs.participant[n]], needs.ids[n], programs[g])
        for n, g in zip(arcs.need[mask].tolist(), arcs.program[mask].tolist(), strict=True)
    ]


def generated(size: str, seed: int) -> Scenario:
    """The generated instance of ``size`` (``SIZES``: participants, programs)."""
    people, count = SIZES[size]
    return parse_scenario(generate(GenerateOptions(participants=people, programs=count, seed=seed)))


@contextmanager
def fresh_store(database_url: str | None) -> Iterator[Engine]:
    """A migrated, empty store: a schema of its own on PostgreSQL, else a SQLite file."""
    if database_url is None:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'matcher.db'}")
            upgrade(engine)
            yield engine
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in database_url else "?"
    engine = make_engine(f"{database_url}{sep}options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(
    database_url: str | None, size: str, clients: int, holds: int, seed: int, picks: str
) -> list[float]:
    """Latencies (ms) of every hold, and how many were accepted, on a fresh store."""
    scenario = generated(size, seed)
    with fresh_store(database_url) as engine:
        with session_scope(engine) as s:
            import_scenario(s, scenario, NOW, case_manager_id="cm-1")
        placements = deal(engine, picks)
        rng = np.random.default_rng(seed)
        picked = [placements[i] for i in rng.permutation(len(placements))[: clients * holds]]
        shares = [picked[c::clients] for c in range(clients)]
        start = Barrier(clients)
        solves = Counted(solve_queue)

        def client(share: list[Pick]) -> list[tuple[float, bool]]:
            start.wait()
            out = []
            for a in share:
                begun = time.perf_counter()
                try:
                    with session_scope(engine) as s:
                        referrals.place_hold(
                            s,
                            "cm-1",
                            participant_id=a.participant_id,
                            need_id=a.need_id,
                            program_id=a.program_id,
                            pool="general",
                            now=NOW,
                            ttl=timedelta(hours=48),
                            queue=CHECK,
                        )
                    ok = True
                except ServiceError:
                    ok = False
                out.append(((time.perf_counter() - begun) * 1000, ok))
            return out

        with (
            ThreadPoolExecutor(max_workers=clients) as pool,
            mock.patch(f"{COMMANDS}.solve_queue", solves),
        ):
            wall = time.perf_counter()
            results = [r for got in pool.map(client, shares) for r in got]
            wall = time.perf_counter() - wall
    times = [ms for ms, _ in results]
    accepted = sum(ok for _, ok in results)
    print(
        f"| {statistics.median(times):,.1f} | {np.percentile(times, 90):,.1f} | "
        f"{len(results) / wall:,.1f} | {accepted} of {len(results)} | {solves.count} |"
    )
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="site", choices=sorted(SIZES))
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--holds", type=int, default=10, help="per client")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database")
    parser.add_argument("--picks", default="optimum", choices=PICKS, help="which holds to deal")
    parser.add_argument("--only-locked", action="store_true", help="leave out the run without")
    args = parser.parse_args(argv)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{args.size} on {backend}, {args.clients} clients x {args.holds} holds, "
        f"picks: {args.picks}"
    )
    print("| queue lock | median ms | p90 ms | holds/s | accepted | part solves |")
    print("|---|---:|---:|---:|---:|---:|")
    given = (args.database_url, args.size, args.clients, args.holds, args.seed, args.picks)
    print("| with ", end="")
    run(*given)
    if args.only_locked:
        return
    print("| without ", end="")
    with mock.patch(f"{COMMANDS}.lock_queue", return_value=None):
        run(*given)


if __name__ == "__main__":
    main()
