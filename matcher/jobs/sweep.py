"""The sweep job: records the holds that ran out (a periodic job, ``matcher.jobs``).

A hold stops counting at its expiry whether or not anything runs (capacity is read
*at* a time), so the sweeper changes no pool. It makes the record match: referral
status ``expired`` and an ``expired`` event in the ledger, so a case manager's page
and the history say what happened. Two sweeps at once (two workers given the same
tick, or a retry after a worker died) do not clash: a program's expiries are recorded
under the program's lock, and the second sweep finds nothing left to record, so each
expiry is recorded once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from matcher.service import audit, referrals
from matcher.store import tables as t
from matcher.store.engine import session_scope


def sweep_once(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Record every hold that has run out by now, and withdraw sent referrals whose
    consent ran out, each with an audit record by the ``system`` actor in the same
    transaction; how many holds expired. Only the changes this sweep made are audited:
    a sweep racing this one records its own."""
    now = clock()
    with session_scope(engine) as session:
        made: list[t.ReferralEvent] = []

        def collect(flushing: Session, _context: Any, _instances: Any) -> None:
            made.extend(x for x in flushing.new if isinstance(x, t.ReferralEvent))

        event.listen(session, "before_flush", collect)
        try:
            count = referrals.expire_due(session, now)
            session.flush()
        finally:
            event.remove(session, "before_flush", collect)
        entries = []
        for made_event in sorted(made, key=lambda e: e.referral_id):
            referral = session.get(t.Referral, made_event.referral_id)
            assert referral is not None  # its event was just written
            action = ACTIONS.get(made_event.status, "referral.close")
            entries.append(audit.by_system(referral, action, now))
        audit.record_many(session, entries)
        return count


ACTIONS = {"expired": "referral.expire", "withdrawn": "referral.withdraw"}
"""The audit action of each status a sweep can close a referral with."""
