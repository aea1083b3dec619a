"""The periodic jobs: each effect once, whoever runs them and however often.

Two sweeps racing over the same expired holds (two workers given the same tick, or a
retry after a worker died) record each expiry once, with one audit record; on
PostgreSQL the queue's workers run the same job bodies.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import col, select

from api.app import create_app
from matcher.jobs import queued
from matcher.jobs.local import run_all
from matcher.jobs.queue import make_app, task_name
from matcher.jobs.sweep import sweep_once
from matcher.scenario import load_scenario
from matcher.service import matching, referrals
from matcher.store import tables as t
from matcher.store.engine import session_scope, upgrade
from tests.api.conftest import CM, SETTINGS, Clock
from tests.conftest import ROOT
from tests.store.test_migration_0011 import _downgrade

SAMPLE = load_scenario(ROOT / "data" / "sample-city.json")


def hold_many(engine: Engine, clock: Clock, most: int) -> list[str]:
    """Holds of one hour for up to ``most`` participants' recommended places."""
    held: list[str] = []
    for person in SAMPLE.participants:
        if len(held) == most:
            break
        with session_scope(engine) as s:
            result = matching.match_participant(s, CM, person.id, clock.now, 20)
            need = next((n for n in result.needs if n.recommended is not None), None)
            if need is None or need.recommended is None:
                continue
            view = referrals.place_hold(
                s,
                CM,
                participant_id=person.id,
                need_id=need.need_id,
                program_id=need.recommended.program_id,
                pool=need.recommended.pool,
                now=clock.now,
                ttl=timedelta(hours=1),
            )
        held.append(view.referral_id)
    return held


def effects(engine: Engine, held: list[str]) -> tuple[Counter[str], Counter[str], set[str]]:
    """Expired referral events and ``referral.expire`` audit records per referral, and
    the statuses the held referrals are in."""
    with session_scope(engine) as s:
        events = Counter(
            s.exec(
                select(t.ReferralEvent.referral_id).where(
                    col(t.ReferralEvent.referral_id).in_(held), t.ReferralEvent.status == "expired"
                )
            ).all()
        )
        audits = Counter(
            str(r)
            for r in s.exec(
                select(t.AuditEvent.referral_id).where(
                    col(t.AuditEvent.referral_id).in_(held),
                    t.AuditEvent.action == "referral.expire",
                )
            ).all()
        )
        statuses = set(s.exec(select(t.Referral.status).where(col(t.Referral.id).in_(held))).all())
    return events, audits, statuses


def assert_once(engine: Engine, held: list[str]) -> None:
    events, audits, statuses = effects(engine, held)
    assert statuses == {"expired"}
    assert events == Counter(dict.fromkeys(held, 1))
    assert audits == Counter(dict.fromkeys(held, 1))


def test_racing_sweeps_record_each_expiry_once(app_engine: Engine, clock: Clock) -> None:
    held = hold_many(app_engine, clock, 6)
    assert len(held) >= 3
    clock.advance(hours=2)
    barrier = threading.Barrier(3)
    counts: list[int] = []

    def sweep() -> None:
        barrier.wait()
        counts.append(sweep_once(app_engine, clock))

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == len(held)
    assert_once(app_engine, held)
    assert run_all(app_engine, clock)["sweep"] == 0  # a retry finds nothing left
    assert_once(app_engine, held)


def test_the_server_runs_the_jobs_only_on_sqlite(app_engine: Engine, clock: Clock) -> None:
    """On SQLite the server sweeps in its own thread; on PostgreSQL its API workers
    never do (``matcher worker`` does)."""
    held = hold_many(app_engine, clock, 1)
    clock.advance(hours=2)
    settings = SETTINGS.model_copy(update={"sweep_seconds": 0.05})
    with TestClient(create_app(settings, engine=app_engine, clock=clock)):
        deadline = time.monotonic() + (0.5 if queued(app_engine) else 20)
        while effects(app_engine, held)[2] != {"expired"} and time.monotonic() < deadline:
            time.sleep(0.05)
    _, _, statuses = effects(app_engine, held)
    assert statuses == ({"held"} if queued(app_engine) else {"expired"})


def test_queue_workers_racing_run_each_sweep_effect_once(app_engine: Engine, clock: Clock) -> None:
    if not queued(app_engine):
        pytest.skip("the queue runs on PostgreSQL")
    held = hold_many(app_engine, clock, 4)
    clock.advance(hours=2)
    queue = make_app(app_engine, clock)

    async def run() -> None:
        async with queue.open_async():
            sweep = queue.tasks[task_name("sweep")]
            await sweep.defer_async(timestamp=0)
            workers = [
                queue.run_worker_async(
                    wait=False, install_signal_handlers=False, name=f"w{i}", listen_notify=False
                )
                for i in range(3)
            ]
            await asyncio.gather(*workers)
            await sweep.defer_async(timestamp=60)  # the next tick: nothing left to do
            await queue.run_worker_async(wait=False, install_signal_handlers=False)

    asyncio.run(run())
    assert_once(app_engine, held)
    with app_engine.connect() as c:
        jobs = c.execute(text("SELECT status::text FROM procrastinate_jobs")).scalars().all()
    # ours, and any the workers' own periodic deferrer added for the current minute
    assert len(jobs) >= 2
    assert set(jobs) == {"succeeded"}


def test_the_queue_schema_comes_and_goes_with_its_migration(engine: Engine) -> None:
    if not queued(engine):
        pytest.skip("the queue's tables exist on PostgreSQL only")

    def present() -> bool:
        with engine.connect() as c:
            return c.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None

    assert present()
    _downgrade(engine.url.render_as_string(hide_password=False), "0015")
    assert not present()
    upgrade(engine)
    assert present()
