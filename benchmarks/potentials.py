"""The cost of the live queue's potentials: learning them from a store's ledger, and
solving the queue with them against without.

``python -m benchmarks.potentials --size site --days 180 --seed 1 [--repeat 3]``

A generated horizon is written into a fresh SQLite store through the service layer
(``benchmarks.replay.record``: arrivals, exits, reported places, top-ups). At its end
the potentials are learned as the service learns them (``matcher.service.potentials.
learn``: the ledger's window replayed as a horizon, the rates per program and pool),
and the queue at that moment (``queue_scenario``) is solved plain and priced; each
timed ``--repeat`` times, medians printed, with the load average while measuring.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.replay import START, record
from benchmarks.report import machine, today
from matcher.service.potentials import learn
from matcher.service.queue import queue_scenario
from matcher.simulate.horizon import SimOptions, generate_horizon
from matcher.solver.solve import SolverOptions, solve
from matcher.store.engine import make_engine, session_scope, upgrade

SIZES = {"tiny": (200, 20), "site": (1_000, 100), "county": (10_000, 1_000)}


def _median(work: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    times = []
    done = None
    for _ in range(repeat):
        begin = time.perf_counter()
        done = work()
        times.append(time.perf_counter() - begin)
    return done, statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    """Write a generated horizon into a store, then time learning and both solves."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="site")
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    people, programs = SIZES[args.size]
    options = SimOptions(days=args.days, participants=people, programs=programs, seed=args.seed)
    horizon = generate_horizon(options)
    end = START + args.days * timedelta(days=1)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'potentials.db'}")
        upgrade(engine)
        begin = time.perf_counter()
        record(engine, horizon)
        wrote = time.perf_counter() - begin
        load = os.getloadavg()[0]
        with session_scope(engine, read_only=True) as s:
            found, learning = _median(lambda: learn(s, end, args.days), args.repeat)
            queue = queue_scenario(s, end, default_max_distance_km=None)
        plain, plain_s = _median(lambda: solve(queue, SolverOptions(time_limit=300)), args.repeat)
        level4 = SolverOptions(time_limit=300, level4=found.level4)
        priced, priced_s = _median(lambda: solve(queue, level4), args.repeat)
        load = max(load, os.getloadavg()[0])
        engine.dispose()
    waiting = sum(len(p.needs) for p in queue.participants)
    print(f"{today()}; {machine()}")
    print(
        f"size {args.size} ({people} participants, {programs} programs), {args.days} days, "
        f"seed {args.seed}; median of {args.repeat}; load average up to {load:.1f}"
    )
    print(f"wrote the horizon through the service layer in {wrote:.1f} s")
    print(
        f"learn: {learning:.2f} s ({found.source}: {found.acute_needs} acute needs, "
        f"place life {found.place_life_days:.1f} d, stay {found.stay_days:.1f} d, "
        f"{len(found.nodes)} nodes)"
    )
    print(
        f"queue at the end: {len(queue.participants)} participants, {waiting} waiting needs; "
        f"solve plain {plain_s:.2f} s, priced {priced_s:.2f} s "
        f"(ratio {priced_s / max(plain_s, 1e-9):.2f}); levels 1-3 equal: "
        f"{plain.objective == priced.objective}"
    )


if __name__ == "__main__":
    main()
