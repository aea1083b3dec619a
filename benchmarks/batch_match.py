"""A case load's batch: solved alone, against the answer of LEAD's whole queue.

``python -m benchmarks.batch_match --size county --seed 1 --case-loads 5 [--offered]
[--database-url URL]``

A generated instance is imported into a fresh store (a SQLite file, or a schema of its
own in the PostgreSQL database named, dropped afterwards) and its participants dealt
into case loads of ``--per-case-load`` (50) in id order; with ``--offered``, the whole
queue is then re-solved once and its optimum offered, as the re-solve job leaves a
live store (so little room is left and the needs waiting are those no place can
meet now). For ``--case-loads`` of them
(seeded), each in a read-only transaction of its own, it times the batch two ways: the
case load solved alone (what ``matching.batch_match`` did before it read the queue:
``matching.case_load``, one solve) and the queue's answer
(``matching.batch_match`` now: the whole queue read, the part the case load's needs
touch solved with the queue's potentials, the case load alone solved for the reasons).
Prints the median and 90th percentile of each and their ratio, and how many places
the case load alone recommends that the queue's optimum gives to others (a hold of
them is refused ``kept_for_more_urgent``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

import numpy as np
from sqlalchemy import update
from sqlmodel import col, select

from benchmarks.hold_latency import NOW, SIZES, fresh_store, generated
from matcher.assignment import build_assignment
from matcher.service import matching, offers
from matcher.solver.solve import SolverOptions, solve
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import import_scenario

LIMIT = 60.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case-loads", type=int, default=5)
    parser.add_argument("--per-case-load", type=int, default=50)
    parser.add_argument("--offered", action="store_true", help="offer the queue's optimum first")
    parser.add_argument("--size", default="county", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database")
    args = parser.parse_args(argv)
    people, count = SIZES[args.size]
    scenario = generated(args.size, args.seed)
    alone_ms, queue_ms = [], []
    alone_met = queue_met = kept = 0
    with fresh_store(args.database_url) as engine:
        with session_scope(engine) as s:
            import_scenario(s, scenario, NOW, case_manager_id="cm-0")
            ids = list(s.exec(select(t.Participant.id).order_by(col(t.Participant.id))))
            for k in range(0, len(ids), args.per_case_load):
                s.execute(
                    update(t.Participant)
                    .where(col(t.Participant.id).in_(ids[k : k + args.per_case_load]))
                    .values(case_manager_id=f"cm-{k // args.per_case_load}")
                )
        if args.offered:
            with session_scope(engine) as s:
                offers.resolve(
                    s, NOW, offer_for=timedelta(hours=24), time_limit=300,
                    default_max_distance_km=None, whole=True, force=True,
                )  # fmt: skip
        loads = len(ids) // args.per_case_load
        rng = np.random.default_rng(args.seed)
        for cm in (f"cm-{k}" for k in rng.choice(loads, size=args.case_loads, replace=False)):
            with session_scope(engine, read_only=True) as s:
                begun = time.perf_counter()
                own = matching.case_load(s, cm, NOW, None)
                alone = build_assignment(solve(own, SolverOptions(time_limit=LIMIT)))
                alone_ms.append((time.perf_counter() - begun) * 1000)
            with session_scope(engine, read_only=True) as s:
                begun = time.perf_counter()
                answer = matching.batch_match(s, cm, NOW, LIMIT)
                queue_ms.append((time.perf_counter() - begun) * 1000)
            alone_met += alone.objective.matched
            queue_met += answer.objective.matched
            reasons = {u.need_id: u.reason for u in answer.unmatched}
            kept += sum(reasons.get(a.need_id) == matching.KEPT for a in alone.assignments)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{args.size} on {backend}: {people:,} participants in case loads of "
        f"{args.per_case_load}, {count:,} programs; {args.case_loads} case loads, seed {args.seed}"
        + ("; the queue's optimum offered first" if args.offered else "")
    )
    print("| a case load's batch | median ms | p90 ms | needs met (all case loads) |")
    print("|---|---:|---:|---:|")
    for name, times, met in (
        ("the case load alone", alone_ms, alone_met),
        ("the queue's answer", queue_ms, queue_met),
    ):
        print(
            f"| {name} | {statistics.median(times):,.1f} | {np.percentile(times, 90):,.1f} "
            f"| {met:,} |"
        )
    print(
        f"queue's answer / alone (medians): "
        f"{statistics.median(queue_ms) / statistics.median(alone_ms):,.2f}x; places the case "
        f"load alone recommends that the queue's optimum gives to others: {kept}"
    )


if __name__ == "__main__":
    main()
