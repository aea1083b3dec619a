"""Exactly once under faults: webhook deliveries as queue jobs.

On PostgreSQL, three ``matcher worker`` processes share 1,000 delivery jobs and one
of them is killed (SIGKILL) mid-run; the deliveries it held come due again after
their backoff and the survivors make them. Each delivery is recorded delivered once,
with one successful attempt, and the receiver, which verifies every signature, got
every message (the killed worker's requests in flight at most twice, under one
``webhook-id`` each). On SQLite the in-process runner does the same work: racing rounds,
and a round that died between claiming and sending.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from matcher.jobs import queued
from matcher.jobs.local import run_all
from matcher.jobs.queue import dispatch_webhooks, make_app
from matcher.jobs.webhooks import _claim, due, enqueue
from matcher.service import accounts, notifications, webhooks
from matcher.service.notifications import Kind, Notice
from matcher.settings import get_settings
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.service.receiver import Received, receiver
from tests.service.world import together

JOBS = 1_000
CONCURRENCY = 4  # jobs each worker runs at once: the killed one had up to this many
START = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A one-second backoff, for this process and the workers it starts."""
    monkeypatch.setenv("MATCHER_WEBHOOK_RETRY_SECONDS", "1")
    monkeypatch.setenv("MATCHER_WEBHOOK_TIMEOUT", "0.5")
    monkeypatch.setenv("MATCHER_WEBHOOK_ATTEMPTS", "10")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _notices(engine: Engine, received: Received, url: str, count: int, at: datetime) -> None:
    """A provider system account with an endpoint at ``url``, and ``count`` notices."""
    with session_scope(engine) as s:
        s.add(t.Organization(id="org-1", name="Harbor"))
        made = accounts.create_account(
            s, username="harbor-system", role="provider", password=None, subject_id="org-1", now=at
        )
        received.secret = webhooks.add(
            s, username="harbor-system", url=url, by="root", now=at, allow_http=False
        ).secret
        for k in range(count):
            notice = Notice(Kind.REFERRAL_SENT, f"referral:r-{k}:referred", f"/web/p#r-{k}")
            notifications.notify(s, [made.account_id], notice, at)


def _assert_each_once(engine: Engine, received: Received, count: int, most_twice: int) -> None:
    """Every delivery delivered by exactly one attempt; the receiver got each message,
    at most ``most_twice`` of them twice."""
    with session_scope(engine) as s:
        statuses = Counter(s.exec(select(t.WebhookDelivery.status)).all())
        wins = Counter(
            s.exec(
                select(t.WebhookAttempt.delivery_id).where(t.WebhookAttempt.outcome == "delivered")
            ).all()
        )
        total = s.exec(select(func.count()).select_from(t.WebhookDelivery)).one()
    assert total == count
    assert statuses == Counter({"delivered": count})
    assert len(wins) == count
    assert set(wins.values()) == {1}
    got = Counter(received.ids())
    assert len(got) == count
    assert received.unverified == 0
    assert sum(n - 1 for n in got.values()) <= most_twice


def _pending(engine: Engine) -> int:
    with session_scope(engine, read_only=True) as s:
        found = s.exec(select(func.count()).where(col(t.WebhookDelivery.status) == "pending")).one()
        return int(found)


def _wait(until: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not until():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def clock() -> datetime:
    """The wall clock (the worker processes run on it)."""
    return datetime.now(UTC)


def test_three_workers_one_killed_make_each_delivery_once(
    engine: Engine, fast_retries: None
) -> None:
    if not queued(engine):
        pytest.skip("the queue and its worker processes run on PostgreSQL")
    received = Received()
    now = datetime.now(UTC)
    with receiver(received) as url:
        _notices(engine, received, url, JOBS, now)
        queue = make_app(engine, clock)

        async def dispatch() -> int:
            async with queue.open_async():
                return await dispatch_webhooks(queue, engine, clock)

        assert asyncio.run(dispatch()) == JOBS
        database = engine.url.render_as_string(hide_password=False)
        command = [sys.executable, "-m", "matcher", "worker", "--concurrency", str(CONCURRENCY)]
        command += ["--database-url", database]
        workers = [
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(3)
        ]
        try:
            assert _wait(lambda: len(received.ids()) >= JOBS // 4, 40), "the workers did not start"
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            # the survivors drain the queue; what the killed one held comes due again
            # after its backoff, and the next tick's dispatch defers it anew
            drained = _wait(lambda: len(set(received.ids())) >= JOBS - CONCURRENCY, 40)
            time.sleep(1.1)
            asyncio.run(dispatch())
            assert drained
            assert _wait(lambda: _pending(engine) == 0, 20)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
    _assert_each_once(engine, received, JOBS, most_twice=CONCURRENCY)


def test_the_in_process_runner_makes_each_delivery_once_after_a_round_died(
    engine: Engine, fast_retries: None
) -> None:
    if queued(engine):
        pytest.skip("on PostgreSQL the worker processes do this work")
    received = Received()
    count = 200
    with receiver(received) as url:
        _notices(engine, received, url, count, START)
        enqueue(engine, START)
        # a round that claimed three deliveries, then died before sending them
        for delivery_id in due(engine, START)[:3]:
            assert _claim(engine, delivery_id, START, get_settings()) is not None
        together(lambda: run_all(engine, lambda: START))
        assert len(received.ids()) == count - 3
        later = START + timedelta(seconds=1)
        together(lambda: run_all(engine, lambda: later))
    _assert_each_once(engine, received, count, most_twice=0)
    with session_scope(engine) as s:
        retried = s.exec(
            select(t.WebhookAttempt.attempt).where(t.WebhookAttempt.outcome == "delivered")
        ).all()
    assert Counter(retried) == Counter({1: count - 3, 2: 3})
