"""The periodic notification jobs: warnings of referrals about to expire and of stale
capacity reports. Each announces a thing to an account once however often it runs
(``matcher.service.notifications``: one row per account and announced thing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from matcher.service import notifications
from matcher.settings import get_settings
from matcher.store.engine import session_scope


def warn_expiring(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Tell case managers of holds and sent referrals expiring within
    ``MATCHER_EXPIRY_WARNING_HOURS``; how many notifications are new."""
    within = timedelta(hours=get_settings().expiry_warning_hours)
    with session_scope(engine) as session:
        return notifications.warn_expiring(session, clock(), within)


def warn_stale(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Tell providers of capacity reports older than their program's days; how many
    notifications are new."""
    days = get_settings().stale_report_days
    with session_scope(engine) as session:
        return notifications.warn_stale(session, clock(), days)
