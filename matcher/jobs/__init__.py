"""Work that runs after an event or on a schedule, outside any request.

The job bodies (``PERIODIC``) are plain functions of an engine and a clock, so tests
call them directly and any runner can run them. Each is idempotent: its effects are
held by the database (a row lock, a conditional update, a unique key), so running it
twice, or in two workers at once, or again after a worker died mid-job, makes each
effect once.

Two runners: on PostgreSQL, the ``procrastinate`` queue (``matcher.jobs.queue``;
``matcher worker`` runs a worker, any number of them on any number of machines); on
the embedded SQLite default, a thread inside the server (``matcher.jobs.local``), so
the two-command set-up needs no extra process.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from matcher.jobs.digest import send_digests
from matcher.jobs.mail import deliver_mail
from matcher.jobs.notices import warn_expiring, warn_stale
from matcher.jobs.offers import offer_freed, resolve_whole
from matcher.jobs.sweep import sweep_once
from matcher.jobs.webhooks import deliver_webhooks

Job = Callable[[Engine, Callable[[], datetime]], int]
"""A periodic job body: does its work at the clock's time, returns how much it did."""

PERIODIC: dict[str, Job] = {
    "sweep": sweep_once,
    "offer_freed": offer_freed,
    "warn_expiring": warn_expiring,
    "warn_stale": warn_stale,
    "deliver_mail": deliver_mail,
    "deliver_webhooks": deliver_webhooks,
    "send_digests": send_digests,
}
"""Every periodic job by name (the queue's task names are ``matcher.<name>``)."""

HOURLY: dict[str, Job] = {"resolve_queue": resolve_whole}
"""Jobs run once an hour rather than every round (on the queue at minute 0)."""


def queued(engine: Engine) -> bool:
    """Whether jobs on this database run on the queue (PostgreSQL) rather than in the
    server's own thread (SQLite)."""
    return engine.dialect.name == "postgresql"
