"""What a provider sees of referrals: only those sent to its programs, from the moment
they were sent, and the participant's facts only while a consent in force covers them.

A hold the case manager never sent (released or expired as a hold) is never shown;
after the consent ends the provider still sees that the referral was withdrawn, with
the participant, the need and the facts withheld.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session, col, select

from matcher.capacity.referral import Status
from matcher.service import consent
from matcher.service.capacity import own_program
from matcher.service.errors import NotFound
from matcher.service.referrals.core import ReferralView, category, view
from matcher.store import tables as t

SENT = col(t.Referral.sent_at).is_not(None)


def org_referral(session: Session, organization_id: str, referral_id: str) -> t.Referral:
    """A referral sent to one of the organisation's programs; any other answers like a
    missing one (a hold not yet sent included)."""
    r = session.get(t.Referral, referral_id)
    if r is None or r.sent_at is None:
        raise NotFound(f"no referral {referral_id}", field="referral_id")
    own_program(session, organization_id, r.program_id)  # NotFound for another's
    return r


def incoming(
    session: Session, organization_id: str, now: datetime, status: str | None = None
) -> list[ReferralView]:
    """Referrals sent to the organisation's programs (never a hold that was not sent)."""
    programs = select(t.Program.id).where(t.Program.organization_id == organization_id)
    query = select(t.Referral).where(col(t.Referral.program_id).in_(programs), SENT)
    if status is not None:
        query = query.where(t.Referral.status == status)
    rows = session.exec(query.order_by(col(t.Referral.created_at), col(t.Referral.id)))
    return [
        for_provider(session, r, now)
        for r in rows
        if r.status != Status.REFERRED or r.expires_at > now
    ]


def for_provider(session: Session, r: t.Referral, now: datetime) -> ReferralView:
    """The minimum a provider may see, and only while a consent covers it."""
    shown = replace(view(session, r, now), overdue=False)
    program = session.get(t.Program, r.program_id)
    participant = session.get(t.Participant, r.participant_id)
    valid = program is not None and consent.valid_consent(
        session, r.participant_id, program, category(session, r), now
    )
    if not valid or program is None or participant is None:
        return replace(shown, participant_id="withheld", need_id="withheld", service_types=[])
    notice = consent.REDISCLOSURE_NOTICE if category(session, r) == consent.SUBSTANCE_USE else None
    return replace(
        shown,
        facts=consent.minimum(program, participant),
        notice=notice,
        contact=work_contact(session, r.case_manager_id),
    )


def work_contact(session: Session, case_manager_id: str) -> str | None:
    """Who to call about a referral: the case load's active case manager, by name and
    work e-mail (shown to a provider only with the facts a consent covers, since it
    says who works with the participant)."""
    account = session.exec(
        select(t.Account).where(
            t.Account.subject_id == case_manager_id,
            t.Account.role == "case_manager",
            col(t.Account.active).is_(True),
        )
    ).first()
    if account is None:
        return None
    return f"{account.username} <{account.email}>" if account.email else account.username
