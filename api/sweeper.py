"""The hold sweeper: records the holds that ran out, every ``MATCHER_SWEEP_SECONDS``.

A hold stops counting at its expiry whether or not anything runs (capacity is read
*at* a time), so the sweeper changes no pool. It makes the record match: referral
status ``expired`` and an ``expired`` event in the ledger, so a case manager's page
and the history say what happened. Each worker process runs one; they do not clash,
because a program's expiries are recorded under the program's lock and a second
sweep finds nothing left to record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import anyio
from anyio import to_thread
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from matcher.service import audit, referrals
from matcher.store import tables as t
from matcher.store.engine import session_scope

log = logging.getLogger(__name__)


def sweep_once(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Record every hold that has run out by now, each with an audit record by the
    ``system`` actor in the same transaction; how many."""
    now = clock()
    with session_scope(engine) as session:
        due = _open_and_due(session, now)
        count = referrals.expire_due(session, now)
        still_open = set(_open_and_due(session, now))
        audit.record_many(
            session,
            [
                audit.Entry(
                    at=now,
                    actor=audit.SYSTEM,
                    role=audit.SYSTEM,
                    action="referral.expire",
                    object_type="referral",
                    object_id=referral_id,
                    outcome="allowed",
                    status=200,
                    username=audit.SYSTEM,
                    participant_id=participant_id,
                    program_id=program_id,
                    referral_id=referral_id,
                )
                for referral_id, (participant_id, program_id) in sorted(due.items())
                if referral_id not in still_open
            ],
        )
        return count


def _open_and_due(session: Session, now: datetime) -> dict[str, tuple[str, str]]:
    """Open referrals past their expiry: id -> (participant, program)."""
    rows = session.exec(
        select(t.Referral.id, t.Referral.participant_id, t.Referral.program_id).where(
            col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES), t.Referral.expires_at <= now
        )
    )
    return {r: (p, g) for r, p, g in rows}


async def sweep_forever(engine: Engine, clock: Callable[[], datetime], every: float) -> None:
    """Sweep every ``every`` seconds until cancelled; a failed round is logged (its
    kind only: a database error's text can carry row values) and the next one retried."""
    while True:
        await anyio.sleep(every)
        try:
            count = await to_thread.run_sync(sweep_once, engine, clock)
        except Exception as error:
            log.error("hold sweep failed: %s", type(error).__name__)
            continue
        if count:
            log.info("recorded %d expired hold(s)", count)
