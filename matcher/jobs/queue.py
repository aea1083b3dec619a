"""The PostgreSQL runner: the job bodies as ``procrastinate`` tasks.

``procrastinate`` keeps its jobs in the matcher's own database (its schema is applied
by migration ``0016``), hands each to one worker with ``SELECT ... FOR UPDATE SKIP
LOCKED``, wakes workers with LISTEN/NOTIFY, and defers each periodic task once per
tick however many workers run (a unique key per task and tick). A job whose worker
dies mid-run rolls its transaction back; the next tick does the work again, once,
because the job bodies are idempotent (``matcher.jobs``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import procrastinate
from sqlalchemy import Engine

from matcher.jobs import PERIODIC, Job

QUEUE = "matcher"
EVERY_MINUTE = "* * * * *"


def conninfo(engine: Engine) -> str:
    """The engine's database as a libpq address (``procrastinate`` speaks psycopg)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(
    engine: Engine, clock: Callable[[], datetime], *, cron: str = EVERY_MINUTE
) -> procrastinate.App:
    """A queue app on ``engine``'s database whose tasks run the job bodies on
    ``engine`` at ``clock``'s time; each periodic job is deferred on ``cron``."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(engine)),
    )
    for name, body in PERIODIC.items():
        _register(app, name, body, engine, clock, cron)
    return app


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
