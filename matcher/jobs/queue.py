"""The PostgreSQL runner: the job bodies as ``procrastinate`` tasks.

``procrastinate`` keeps its jobs in the matcher's own database (its schema is applied
by migration ``0016``), hands each to one worker with ``SELECT ... FOR UPDATE SKIP
LOCKED``, wakes workers with LISTEN/NOTIFY, and defers each periodic task once per
tick however many workers run (a unique key per task and tick). A job whose worker
dies mid-run rolls its transaction back; the next tick does the work again, once,
because the job bodies are idempotent (``matcher.jobs``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.tasks import Task
from sqlalchemy import Engine

from matcher.jobs import HOURLY, PERIODIC, Job, webhooks

QUEUE = "matcher"
EVERY_MINUTE = "* * * * *"
EVERY_HOUR = "0 * * * *"


def conninfo(engine: Engine) -> str:
    """The engine's database as a libpq address (``procrastinate`` speaks psycopg)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(
    engine: Engine,
    clock: Callable[[], datetime],
    *,
    cron: str = EVERY_MINUTE,
    hourly_cron: str = EVERY_HOUR,
) -> procrastinate.App:
    """A queue app on ``engine``'s database whose tasks run the job bodies on
    ``engine`` at ``clock``'s time; each periodic job is deferred on ``cron``, the
    hourly ones (``HOURLY``) on ``hourly_cron``."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(engine)),
    )
    for name, body in PERIODIC.items():
        if name != "deliver_webhooks":
            _register(app, name, body, engine, clock, cron)
    for name, body in HOURLY.items():
        _register(app, name, body, engine, clock, hourly_cron)
    _register_webhooks(app, engine, clock, cron)
    return app


DELIVER_WEBHOOK = "matcher.deliver_webhook"


def _register_webhooks(
    app: procrastinate.App, engine: Engine, clock: Callable[[], datetime], cron: str
) -> None:
    """On the queue, webhook deliveries are jobs of their own, one per due attempt,
    so a slow endpoint holds up one worker slot, not the round: a periodic job makes
    the new deliveries and defers each due one (at most one waiting job per delivery:
    its queueing lock); any worker attempts it (``webhooks.attempt``: a second job for
    the same attempt finds it claimed and does nothing)."""

    @app.task(name=DELIVER_WEBHOOK, queue=QUEUE, pass_context=False)
    def deliver(delivery_id: int) -> str | None:
        return webhooks.attempt(engine, delivery_id, clock)

    @app.periodic(cron=cron, periodic_id="deliver_webhooks")
    @app.task(
        name=task_name("deliver_webhooks"),
        queue=QUEUE,
        queueing_lock="deliver_webhooks",
        pass_context=False,
    )
    async def dispatch(timestamp: int) -> int:
        """One tick: the new deliveries made, each due one deferred; how many."""
        return await dispatch_webhooks(app, engine, clock)


async def dispatch_webhooks(
    app: procrastinate.App, engine: Engine, clock: Callable[[], datetime]
) -> int:
    """Make the new webhook deliveries and defer a job for each due one (one already
    waiting is not deferred again: its queueing lock); how many jobs were deferred.
    The jobs go in one batch; if a lock refuses the batch, one at a time."""
    await asyncio.to_thread(webhooks.enqueue, engine, clock())
    task = app.tasks[DELIVER_WEBHOOK]
    found = await asyncio.to_thread(webhooks.due, engine, clock())
    if not found:
        return 0
    with contextlib.suppress(AlreadyEnqueued):
        locks = {f"webhook:{i}": i for i in found}
        await _defer_all(task, locks)
        return len(found)
    deferred = 0
    for lock, delivery_id in ((f"webhook:{i}", i) for i in found):
        try:
            await task.configure(queueing_lock=lock).defer_async(delivery_id=delivery_id)
        except AlreadyEnqueued:
            continue
        deferred += 1
    return deferred


async def _defer_all(task: Task[..., Any, Any], locks: dict[str, int]) -> None:
    """Defer one job per delivery, each with its own queueing lock, in one statement."""
    deferrers = [(task.configure(queueing_lock=lock), i) for lock, i in locks.items()]
    jobs = [deferrer.make_new_job(delivery_id=i) for deferrer, i in deferrers]
    await deferrers[0][0].job_manager.batch_defer_jobs_async(jobs)


def task_name(name: str) -> str:
    """The queue's name for the periodic job ``name``."""
    return f"matcher.{name}"


def _register(
    app: procrastinate.App,
    name: str,
    body: Job,
    engine: Engine,
    clock: Callable[[], datetime],
    cron: str,
) -> None:
    def run(timestamp: int) -> int:
        """One tick's run of the job (``timestamp``: the tick, from the deferrer)."""
        return body(engine, clock)

    # queueing_lock: at most one waiting run of each job; a second defer is refused.
    task = app.task(name=task_name(name), queue=QUEUE, queueing_lock=name, pass_context=False)(run)
    app.periodic(cron=cron, periodic_id=name)(task)
