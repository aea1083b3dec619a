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
    """Record every hold that has run out by now, and withdraw sent referrals whose
    consent ran out, each with an audit record by the ``system`` actor in the same
    transaction; how many holds expired."""
    now = clock()
    with session_scope(engine) as session:
        before = _open(session)
        count = referrals.expire_due(session, now)
        closed = _closed(session, before)
        audit.record_many(
            session,
            [
                audit.Entry(
                    at=now,
                    actor=audit.SYSTEM,
                    role=audit.SYSTEM,
                    action=ACTIONS.get(status, "referral.close"),
                    object_type="referral",
                    object_id=referral_id,
                    outcome="allowed",
                    status=200,
                    username=audit.SYSTEM,
                    participant_id=before[referral_id][0],
                    program_id=before[referral_id][1],
                    referral_id=referral_id,
                )
                for referral_id, status in sorted(closed.items())
            ],
        )
        return count


ACTIONS = {"expired": "referral.expire", "withdrawn": "referral.withdraw"}
"""The audit action of each status a sweep can close a referral with."""


def _open(session: Session) -> dict[str, tuple[str, str]]:
    """Open referrals: id -> (participant, program)."""
    rows = session.exec(
        select(t.Referral.id, t.Referral.participant_id, t.Referral.program_id).where(
            col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES)
        )
    )
    return {r: (p, g) for r, p, g in rows}


def _closed(session: Session, before: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Of the referrals open ``before``, those now closed: id -> their new status."""
    if not before:
        return {}
    rows = session.exec(
        select(t.Referral.id, t.Referral.status).where(
            col(t.Referral.id).in_(list(before)),
            col(t.Referral.status).not_in(t.OPEN_REFERRAL_STATUSES),
        )
    )
    return {r: str(status) for r, status in rows}


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
