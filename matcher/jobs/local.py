"""The in-process runner: the periodic jobs in a thread of the server (SQLite).

On the embedded SQLite store there is one server process and no queue to share, so
the server runs the same job bodies itself every ``every`` seconds. A failed round is
logged by its kind only (a database error's text can carry row values) and the next
one runs as usual.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from matcher.background import Background
from matcher.jobs import HOURLY, PERIODIC, Job

log = logging.getLogger(__name__)


HOUR = 3600.0


def run_all(
    engine: Engine, clock: Callable[[], datetime], jobs: dict[str, Job] = PERIODIC
) -> dict[str, int]:
    """Run every job of ``jobs`` once, each on its own; what each did (-1: it failed)."""
    done: dict[str, int] = {}
    for name, job in jobs.items():
        try:
            done[name] = job(engine, clock)
        except Exception as error:
            log.error("job %s failed: %s", name, type(error).__name__)
            done[name] = -1
    return done


class InProcess(Background):
    """A daemon thread that runs every periodic job every ``every`` seconds, and the
    hourly ones (``HOURLY``) at the first round and then once an hour, until ``stop``."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime], every: float) -> None:
        super().__init__("matcher-jobs")
        self.engine = engine
        self.clock = clock
        self.every = every
        self._hourly_at: float | None = None

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            done = run_all(self.engine, self.clock)
            if self._hourly_at is None or time.monotonic() - self._hourly_at >= HOUR:
                self._hourly_at = time.monotonic()
                run_all(self.engine, self.clock, HOURLY)
            if done.get("sweep", 0) > 0:
                log.info("recorded %d expired hold(s)", done["sweep"])
