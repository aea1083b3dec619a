"""Load on the API from a separate process: open-loop, latency from the scheduled time.

``python -m benchmarks.api_load --backends sqlite,postgresql --programs 1000``

A county-scale store is generated (``--programs`` programs, ``--participants``
participants, seed 1) and served by ``matcher serve`` in its own process. This
process then offers requests at a fixed rate whatever the server does (open loop),
so a slow answer delays no later request and every latency counts from the moment
the request was due (no coordinated omission). Three loads, one after another:

- ``health``: ``GET /health`` at the capacity-update rate: the floor of the stack;
- ``capacity``: ``PUT .../capacity`` for a random program at ``--update-rate``;
- ``match+hold``: ``POST .../matches`` for a participant, then ``POST .../holds`` of
  the first recommended option, at ``--match-rate``; latency covers both calls.

``--profile`` also times the match call in-process under cProfile on the same store.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, text

from benchmarks.loadgen import Call, Pool, open_loop, send
from matcher.generate import GenerateOptions, generate
from matcher.scenario import Scenario, parse_scenario
from matcher.service import accounts
from matcher.settings import Settings
from matcher.store.engine import make_engine, session_scope, upgrade
from matcher.store.snapshot import import_scenario

CM = "cm-bench"
PG_URL = os.environ.get(
    "MATCHER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class Result:
    """One load's outcome."""

    backend: str
    load: str
    offered: float
    achieved: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    total: int


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def county(programs: int, participants: int) -> Scenario:
    """The generated county the loads run against."""
    return parse_scenario(
        generate(GenerateOptions(participants=participants, programs=programs, seed=1))
    )


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh database URL (a SQLite file, or a PostgreSQL schema dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    schema = f"bench_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def load_store(url: str, scenario: Scenario) -> dict[str, str]:
    """Load ``scenario``; returns an access token per path owner (the server runs with
    the development secret, which ``Settings()`` also has)."""
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    owners = [("case_manager", CM), ("funder", None)]
    owners += [("provider", org) for org in sorted({p.provider_id for p in scenario.programs})]
    tokens: dict[str, str] = {}
    with session_scope(engine) as session:
        import_scenario(session, scenario, now, case_manager_id=CM)
        session.flush()
        for role, subject in owners:
            who = accounts.create_account(
                session,
                username=f"{role}:{subject}",
                role=role,
                password=None,
                subject_id=subject,
                now=now,
            )
            tokens[subject or role] = accounts.issue_token(Settings(token_minutes=600), who, now)[0]
    engine.dispose()
    return tokens


@contextmanager
def server(url: str, workers: int) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The load is one account asking many times: lift the per-account rate limit.
    env = {**os.environ, "MATCHER_DATABASE_URL": url, "MATCHER_MATCH_PER_MINUTE": "1000000"}
    cmd = [sys.executable, "-m", "matcher", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def loads(scenario: Scenario, seed: int, tokens: dict[str, str]) -> dict[str, Call]:
    """The request makers, each for request number ``i``."""
    rng = random.Random(seed)
    programs = [(p.provider_id, p.id) for p in scenario.programs]
    people = [p.id for p in scenario.participants if p.needs]
    rng.shuffle(people)

    async def health(pool: Pool, _i: int) -> bool:
        return (await send(pool, "GET", "/health")).status == 200

    async def capacity(pool: Pool, i: int) -> bool:
        org, pid = programs[(i * 7919) % len(programs)]
        body = {"open_slots": (i % 9) + 1, "waitlist": i % 4}
        path = f"/providers/{org}/programs/{pid}/capacity"
        reply = await send(pool, "PUT", path, body, token=tokens[org])
        return reply.status == 200

    async def match_hold(pool: Pool, i: int) -> bool:
        pid = people[i % len(people)]
        path = f"/case-managers/{CM}/participants/{pid}/matches"
        reply = await send(pool, "POST", path, parse=True, token=tokens[CM])
        if reply.status != 200:
            return False
        for need in reply.body["needs"]:
            pick = need["recommended"]
            if pick is None:
                continue
            body = {
                "participant_id": pid,
                "need_id": need["need_id"],
                "program_id": pick["program_id"],
                "pool": pick["pool"],
            }
            held = await send(pool, "POST", f"/case-managers/{CM}/holds", body, token=tokens[CM])
            return held.status in (201, 409)  # 409: another request took the place first
        return True

    return {"health": health, "capacity": capacity, "match+hold": match_hold}


def profile_match(url: str, scenario: Scenario, count: int = 30) -> str:
    """cProfile of ``count`` in-process match calls: where a match request's time goes."""
    from matcher.service.matching import match_participant

    engine = make_engine(url)
    people = [p.id for p in scenario.participants if p.needs][:count]
    profiler = cProfile.Profile()
    profiler.enable()
    for pid in people:
        with session_scope(engine) as session:
            match_participant(session, CM, pid, datetime.now(UTC), 20)
    profiler.disable()
    engine.dispose()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--participants", type=int, default=5000)
    parser.add_argument("--update-rate", type=float, default=300)
    parser.add_argument("--match-rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="server workers on PostgreSQL")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    scenario = county(args.programs, args.participants)
    results: list[Result] = []
    profiles: dict[str, str] = {}
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
            tokens = load_store(url, scenario)
            workers = 1 if backend == "sqlite" else args.workers
            with server(url, workers) as base:
                makers = loads(scenario, seed=1, tokens=tokens)
                for name, rate in (
                    ("health", args.update_rate),
                    ("capacity", args.update_rate),
                    ("match+hold", args.match_rate),
                ):
                    port = int(base.rsplit(":", 1)[1])
                    lat, errors, achieved = asyncio.run(
                        open_loop("127.0.0.1", port, rate, args.seconds, makers[name])
                    )
                    results.append(
                        Result(
                            backend,
                            name,
                            rate,
                            round(achieved, 1),
                            round(statistics.median(lat), 1),
                            round(_percentile(lat, 0.99), 1),
                            round(max(lat), 1),
                            errors,
                            len(lat),
                        )
                    )
                    print(results[-1], flush=True)
            if args.profile:
                profiles[backend] = profile_match(url, scenario)
    print()
    print("| backend | load | offered/s | achieved/s | p50 ms | p99 ms | max ms | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.backend} | {r.load} | {r.offered:g} | {r.achieved:g} | {r.p50_ms} | "
            f"{r.p99_ms} | "
            f"{r.max_ms} | {r.errors}/{r.total} |"
        )
    for r in results:
        if r.load != "health":
            floor = next(x for x in results if x.backend == r.backend and x.load == "health")
            print(f"{r.backend} {r.load}: p50 {r.p50_ms / floor.p50_ms:.1f}x the /health floor")
    for backend, text_ in profiles.items():
        print(f"\nprofile of the match call on {backend}:\n{text_}")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2))


if __name__ == "__main__":
    main()
