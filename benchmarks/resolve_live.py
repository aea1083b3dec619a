"""One capacity event through the live re-solve: reading the store, the part, the solve.

``python -m benchmarks.resolve_live --size county --seed 1 --events 15 [--database-url URL]``

A generated instance is imported into a fresh store (a SQLite file, or the
PostgreSQL database named) and the whole queue re-solved once, its optimum offered:
the queue as the re-solve job leaves it (on PostgreSQL, in a schema of its own,
dropped afterwards). Then, one at a time, a program chosen at
random (seeded) reports one more free place (its own transaction, which leaves the
signal), and the re-solve job's unit of work (``matcher.service.offers.resolve``:
reading the signals and what it needs of the store, finding the part, solving it,
placing the offers) runs twice on the same state: first reading the whole queue from
the store (``kept=None``), rolled back; then with the process's kept copy of
participants, plans and programs (``matcher.service.kept``), committed. The copy is
read once before the first event (not timed), as a long-running worker would have.
Prints the median and 90th percentile of each, their ratio, and whether both made
the same offers (program, need, pool) with the same levels 1-3 in every event.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlmodel import Session, col, select

from benchmarks.hold_latency import fresh_store
from matcher.generate import GenerateOptions, generate
from matcher.scenario import parse_scenario
from matcher.service import capacity, offers
from matcher.service.kept import KEPT, KeptQueue
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import import_scenario

SIZES = {"site": (1_000, 100), "county": (10_000, 1_000)}
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
OFFER_FOR = timedelta(hours=24)


def _resolve(
    session: Session, now: datetime, kept: KeptQueue | None, *, whole: bool = False
) -> tuple[offers.Resolved, list[tuple[str, str, str]]]:
    done = offers.resolve(
        session,
        now,
        offer_for=OFFER_FOR,
        time_limit=300,
        default_max_distance_km=None,
        whole=whole,
        force=whole,
        kept=kept,
    )
    made = session.exec(
        select(t.Referral.program_id, t.Referral.need_id, t.Referral.pool).where(
            col(t.Referral.id).in_(done.offered)
        )
    ).all()
    return done, sorted((str(p), str(n), str(k)) for p, n, k in made)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="county", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--events", type=int, default=15)
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL database (a fresh schema in it)"
    )
    args = parser.parse_args(argv)
    people, count = SIZES[args.size]
    scenario = parse_scenario(
        generate(GenerateOptions(participants=people, programs=count, seed=args.seed))
    )
    with fresh_store(args.database_url) as engine:
        start = time.perf_counter()
        with session_scope(engine) as s:
            import_scenario(s, scenario, NOW, case_manager_id="cm-1")
        loaded = time.perf_counter() - start
        with session_scope(engine) as s:
            first, _ = _resolve(s, NOW, None, whole=True)
        with session_scope(engine) as s:
            KEPT.get(s, NOW, None)  # a running worker read it at its first event
            ids = list(s.exec(select(t.Program.id).order_by(col(t.Program.id))))
        rng = np.random.default_rng(args.seed)
        read_ms, kept_ms, same = [], [], 0
        for step, program_id in enumerate(rng.choice(ids, size=args.events, replace=False), 1):
            now = NOW + timedelta(minutes=step)
            with session_scope(engine) as s:
                row = s.get(t.ProgramCapacity, str(program_id))
                assert row is not None
                capacity.report_capacity(
                    s,
                    _org(s, str(program_id)),
                    str(program_id),
                    open_slots=(row.open_slots or 0) + 1,
                    waitlist=row.waitlist,
                    actor="provider",
                    now=now,
                )
            with Session(engine, expire_on_commit=False) as s:
                begun = time.perf_counter()
                read, read_made = _resolve(s, now, None)
                read_ms.append((time.perf_counter() - begun) * 1000)
                s.rollback()
            with session_scope(engine) as s:
                begun = time.perf_counter()
                fast, fast_made = _resolve(s, now, KEPT)
                kept_ms.append((time.perf_counter() - begun) * 1000)
            levels = (read.acute_matched, read.matched, read.spend)
            same += read_made == fast_made and levels == (
                fast.acute_matched,
                fast.matched,
                fast.spend,
            )
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{args.size} on {backend}: {people:,} participants, {count:,} programs imported in "
        f"{loaded:,.1f} s; the whole queue's first re-solve offered {len(first.offered):,}; "
        f"{args.events} events, seed {args.seed}"
    )
    print("| live re-solve of one event | median ms | p90 ms |")
    print("|---|---:|---:|")
    for name, times in (("queue read whole", read_ms), ("kept copy", kept_ms)):
        print(f"| {name} | {statistics.median(times):,.1f} | {np.percentile(times, 90):,.1f} |")
    print(
        f"median speed-up {statistics.median(read_ms) / statistics.median(kept_ms):,.1f}x; "
        f"same offers and levels 1-3 in {same} of {args.events} events; copy read "
        f"{KEPT.reads} time(s)"
    )


def _org(session: Session, program_id: str) -> str:
    program = session.get(t.Program, program_id)
    assert program is not None
    return program.organization_id


if __name__ == "__main__":
    main()
