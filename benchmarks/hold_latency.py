"""Holds checked against LEAD's queue, from several clients at once: their latency with
the queue's lock (``matcher.service.queue.lock_queue``) and, for comparison, without.

``python -m benchmarks.hold_latency --size site --clients 4 --holds 10 --database-url URL``

A generated instance is imported into a fresh PostgreSQL schema (or a SQLite file
without ``--database-url``) and the queue's optimum solved once; its placements are
dealt to the clients, each of which holds its share one after another (each hold in
its own transaction, with the queue's check), all clients at once. Run twice, on two
fresh stores: with the lock, and with ``lock_queue`` replaced by nothing (the check
as it was before the lock). Prints the median and 90th percentile latency per hold,
the holds per second, and how many holds were accepted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Barrier
from unittest import mock

import numpy as np
from sqlalchemy import Engine, create_engine, text

from matcher.generate import GenerateOptions, generate
from matcher.scenario import Scenario, parse_scenario
from matcher.service import referrals
from matcher.service.errors import ServiceError
from matcher.service.queue import QueueCheck, solve_queue
from matcher.store.engine import make_engine, session_scope, upgrade
from matcher.store.snapshot import import_scenario

SIZES = {"site": (1_000, 100), "county": (10_000, 1_000)}
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
CHECK = QueueCheck(default_max_distance_km=None, time_limit=60)


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


def run(database_url: str | None, size: str, clients: int, holds: int, seed: int) -> list[float]:
    """Latencies (ms) of every hold, and how many were accepted, on a fresh store."""
    scenario = generated(size, seed)
    with fresh_store(database_url) as engine:
        with session_scope(engine) as s:
            import_scenario(s, scenario, NOW, case_manager_id="cm-1")
        with session_scope(engine) as s:
            optimum, _ = solve_queue(s, NOW, CHECK)
        placements = [a for a in optimum.assignments if a.pool == "general"]
        rng = np.random.default_rng(seed)
        picked = [placements[i] for i in rng.permutation(len(placements))[: clients * holds]]
        shares = [picked[c::clients] for c in range(clients)]
        start = Barrier(clients)

        def client(share: list[object]) -> list[tuple[float, bool]]:
            start.wait()
            out = []
            for a in share:
                begun = time.perf_counter()
                try:
                    with session_scope(engine) as s:
                        referrals.place_hold(
                            s,
                            "cm-1",
                            participant_id=a.participant_id,  # type: ignore[attr-defined]
                            need_id=a.need_id,  # type: ignore[attr-defined]
                            program_id=a.program_id,  # type: ignore[attr-defined]
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

        with ThreadPoolExecutor(max_workers=clients) as pool:
            wall = time.perf_counter()
            results = [r for got in pool.map(client, shares) for r in got]
            wall = time.perf_counter() - wall
    times = [ms for ms, _ in results]
    accepted = sum(ok for _, ok in results)
    print(
        f"| {statistics.median(times):,.1f} | {np.percentile(times, 90):,.1f} | "
        f"{len(results) / wall:,.1f} | {accepted} of {len(results)} |"
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
    args = parser.parse_args(argv)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.size} on {backend}, {args.clients} clients x {args.holds} holds")
    print("| queue lock | median ms | p90 ms | holds/s | accepted |")
    print("|---|---:|---:|---:|---:|")
    print("| with ", end="")
    run(args.database_url, args.size, args.clients, args.holds, args.seed)
    print("| without ", end="")
    with mock.patch("matcher.service.referrals.commands.lock_queue", return_value=None):
        run(args.database_url, args.size, args.clients, args.holds, args.seed)


if __name__ == "__main__":
    main()
