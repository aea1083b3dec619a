"""Referrals that end without anyone answering: holds past their expiry, and sent or
held referrals whose consent was revoked or ran out.

Expiry is recorded whenever a program's ledger is locked (``core.locked``); the
sweeper records the rest. A referral waiting on a consent that no longer holds is
withdrawn (reason ``consent_withdrawn``) through the ledger, so its place is freed and
the case manager sees why in its history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from matcher.capacity.referral import Action, Status
from matcher.service import consent
from matcher.service.referrals.core import category, change, lock_and_expire, locked
from matcher.store import tables as t

CONSENT_WITHDRAWN = "consent_withdrawn"


def expire_due(session: Session, now: datetime) -> int:
    """Record every hold that ran out, and withdraw sent referrals whose consent ran
    out (a sweeper; holds stop counting without it). Returns the expiries recorded."""
    due = session.exec(
        select(t.Referral.program_id)
        .where(col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES), t.Referral.expires_at <= now)
        .distinct()
    ).all()
    expired = sum(lock_and_expire(session, program_id, now)[1] for program_id in sorted(due))
    sent = session.exec(
        select(t.Referral.participant_id)
        .where(t.Referral.status == Status.REFERRED.value, t.Referral.expires_at > now)
        .distinct()
    ).all()
    for participant_id in sorted(sent):
        withdraw_unconsented(session, participant_id, now, "system", sent_only=True)
    return expired


def withdraw_unconsented(
    session: Session,
    participant_id: str,
    now: datetime,
    actor: str,
    *,
    covered: Callable[[t.Program], bool] | None = None,
    sent_only: bool = False,
) -> int:
    """Withdraw the participant's open referrals that no consent in force covers any
    more: those at programs ``covered`` (the recipient of a consent just revoked), or
    only sent ones (``sent_only``: a consent that ran out). Returns how many."""
    rows = session.exec(
        select(t.Referral)
        .where(
            t.Referral.participant_id == participant_id,
            col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES),
            t.Referral.expires_at > now,
        )
        .order_by(col(t.Referral.program_id), col(t.Referral.id))
    ).all()
    count = 0
    for r in rows:
        program = session.get(t.Program, r.program_id)
        if program is None or (covered is not None and not covered(program)):
            continue
        if (sent_only and r.status != Status.REFERRED) or r.status == Status.OFFERED:
            continue  # an offer disclosed nothing: it needs no consent
        if consent.valid_consent(session, participant_id, program, category(session, r), now):
            continue
        loaded = locked(session, r.program_id, now)
        session.refresh(r)
        if r.status not in t.OPEN_REFERRAL_STATUSES:
            continue  # answered or expired while we waited for the lock
        change(
            session,
            loaded,
            r,
            Action.WITHDRAW,
            actor=actor,
            now=now,
            reason=CONSENT_WITHDRAWN,
            audited=False,
        )
        count += 1
    session.flush()
    return count
