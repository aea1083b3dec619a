"""The re-solve job: offers the places that opened since it last ran (``matcher.service.
offers``). It runs with the periodic jobs, so an expiry the sweep records or a report
a provider sends is answered at the next round; each effect is held by the database
(the queue's lock, ledger row locks and room checks, one open referral per need), so
two workers that run it at once never offer one place twice. Each process keeps what
it read of participants, plans and programs between rounds (``matcher.service.kept``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from matcher.service import offers
from matcher.settings import get_settings
from matcher.store.engine import session_scope


def offer_freed(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Re-solve LEAD's queue for the pending capacity signals and offer each freed
    place to the need the optimum gives it; how many offers were made."""
    return _resolve(engine, clock, whole=False)


def resolve_whole(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Re-solve the whole queue, signals or not, and offer what its optimum gives; how
    many offers were made. Some changes write no signal (a pass that lapsed, a decline
    cleared, a participant made active again, a travel limit widened): this hourly run
    (``HOURLY``) makes sure no need waits unoffered past the hour for want of one."""
    return _resolve(engine, clock, whole=True)


def _resolve(engine: Engine, clock: Callable[[], datetime], *, whole: bool) -> int:
    settings = get_settings()
    with session_scope(engine) as session:
        done = offers.resolve(
            session,
            clock(),
            offer_for=timedelta(hours=settings.offer_hours),
            time_limit=settings.solver_time_limit,
            default_max_distance_km=settings.default_max_distance_km,
            force=whole,
        )
        return len(done.offered)
