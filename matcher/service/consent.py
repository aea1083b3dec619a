"""Consent and disclosures, in the manner of 42 CFR Part 2.

A consent names one recipient (an organisation, or one of its programs), the service
categories whose information may go to it (``*`` for all), and a period; it can be
revoked. A referral reaches a provider only under a consent valid when it is sent,
and then carries only the minimum: the participant's pseudonym, the need, and the
eligibility facts that program asks about. A substance-use treatment referral
carries the redisclosure notice. Every disclosure is recorded (which fields, never
their values) and a participant's disclosures can be listed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from matcher.service.audit import note
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.service.participants import own as own_participant
from matcher.store import tables as t

ALL = "*"
SUBSTANCE_USE = "treatment"
REDISCLOSURE_NOTICE = (
    "This information has been disclosed to you from records protected by federal "
    "confidentiality rules (42 CFR part 2). The federal rules prohibit you from making any "
    "further disclosure of information in this record that identifies a patient as having or "
    "having had a substance use disorder either directly, by reference to publicly available "
    "information, or through verification of such identification by another person unless "
    "further disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed or as otherwise permitted by 42 CFR part 2. A general "
    "authorization for the release of medical or other information is NOT sufficient for this "
    "purpose. The federal rules restrict any use of the information to investigate or "
    "prosecute with regard to a crime any patient with a substance use disorder."
)


@dataclass(frozen=True, slots=True)
class ConsentView:
    consent_id: str
    participant_id: str
    recipient_type: str
    recipient_id: str
    categories: list[str]
    starts_at: datetime
    ends_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class DisclosureView:
    referral_id: str
    recipient_id: str
    fields: list[str]
    notice: bool
    at: datetime
    actor: str


def _view(c: t.Consent) -> ConsentView:
    return ConsentView(
        c.id,
        c.participant_id,
        c.recipient_type,
        c.recipient_id,
        c.categories,
        c.starts_at,
        c.ends_at,
        c.revoked_at,
    )


def grant(
    session: Session,
    case_manager_id: str,
    participant_id: str,
    *,
    recipient_type: str,
    recipient_id: str,
    categories: list[str],
    starts_at: datetime,
    ends_at: datetime | None,
    now: datetime,
) -> ConsentView:
    """Record a participant's consent (the case manager holds the signed form)."""
    note(session, "consent.grant", participant_id=participant_id)
    own_participant(session, case_manager_id, participant_id)
    if recipient_type == "organization":
        exists = session.get(t.Organization, recipient_id) is not None
    elif recipient_type == "program":
        exists = session.get(t.Program, recipient_id) is not None
    else:
        raise Invalid(
            "enum", "recipient_type must be organization or program", field="recipient_type"
        )
    if not exists:
        raise NotFound(f"no {recipient_type} {recipient_id}", field="recipient_id")
    if not categories:
        raise Invalid("too_short", "name at least one category, or *", field="categories")
    if ends_at is not None and ends_at <= starts_at:
        raise Invalid("order", "ends_at must be after starts_at", field="ends_at")
    row = t.Consent(
        id=uuid.uuid4().hex,
        participant_id=participant_id,
        recipient_type=recipient_type,
        recipient_id=recipient_id,
        categories=sorted(set(categories)),
        starts_at=starts_at,
        ends_at=ends_at,
        created_at=now,
        created_by=case_manager_id,
    )
    session.add(row)
    session.flush()
    return _view(row)


def revoke(
    session: Session, case_manager_id: str, participant_id: str, consent_id: str, now: datetime
) -> ConsentView:
    """Revoke a consent: nothing more is disclosed under it from now on, and every
    referral still waiting on it (held or sent to that recipient, with no other consent
    in force) is withdrawn (reason ``consent_withdrawn``) and its place released."""
    # The referrals depend on consent, not the other way round: imported here.
    from matcher.service.referrals.expiry import withdraw_unconsented

    own_participant(session, case_manager_id, participant_id, lock=True)
    row = session.get(t.Consent, consent_id)
    if row is None or row.participant_id != participant_id:
        raise NotFound(f"no consent {consent_id}", field="consent_id")
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.flush()
        withdraw_unconsented(
            session, participant_id, now, case_manager_id, covered=lambda p: _names(row, p)
        )
    note(session, "consent.revoke", participant_id=participant_id)
    return _view(row)


def consents(session: Session, case_manager_id: str, participant_id: str) -> list[ConsentView]:
    """A participant's consents, oldest first."""
    own_participant(session, case_manager_id, participant_id)
    rows = session.exec(
        select(t.Consent)
        .where(t.Consent.participant_id == participant_id)
        .order_by(col(t.Consent.created_at))
    )
    return [_view(r) for r in rows]


def _names(c: t.Consent, program: t.Program) -> bool:
    """Whether the consent's recipient is the program or its organisation."""
    return (c.recipient_type == "program" and c.recipient_id == program.id) or (
        c.recipient_type == "organization" and c.recipient_id == program.organization_id
    )


def valid_consent(
    session: Session, participant_id: str, program: t.Program, category: str, now: datetime
) -> t.Consent | None:
    """A consent that lets ``category`` information about the participant go to
    ``program`` now, if there is one."""
    rows = session.exec(select(t.Consent).where(t.Consent.participant_id == participant_id))
    for c in rows:
        recipient = _names(c, program)
        current = (
            c.starts_at <= now and (c.ends_at is None or now < c.ends_at) and c.revoked_at is None
        )
        if recipient and current and (ALL in c.categories or category in c.categories):
            return c
    return None


def minimum(program: t.Program, participant: t.Participant) -> dict[str, Any]:
    """The eligibility facts this program's own rules ask about, and nothing else.

    A program whose places are reserved (``reserved_for``) learns which of those
    populations the participant belongs to, never the others."""
    rules = program.eligibility
    asked = set()
    if rules.get("genders"):
        asked.add("gender")
    if rules.get("min_age") is not None or rules.get("max_age") is not None:
        asked.add("age")
    if rules.get("households"):
        asked.add("household")
    if rules.get("pets_allowed") is False:
        asked.add("has_pet")
    if rules.get("requires_id") is True:
        asked.add("has_id")
    facts = {k: participant.attributes[k] for k in sorted(asked) if k in participant.attributes}
    reserved = rules.get("reserved_for")
    if reserved:
        # Only the populations the program's places are reserved for: a veterans'
        # program learns that the participant is a veteran, nothing else they belong to.
        mine = participant.attributes.get("populations") or []
        facts["populations"] = [x for x in mine if x in reserved]
    return dict(sorted(facts.items()))


def disclose(
    session: Session,
    referral: t.Referral,
    program: t.Program,
    category: str,
    actor: str,
    now: datetime,
) -> None:
    """Record the disclosure a referral makes, refusing it without a valid consent."""
    participant = session.get(t.Participant, referral.participant_id)
    if participant is None:
        raise NotFound(f"no participant {referral.participant_id}", field="participant_id")
    consent = valid_consent(session, participant.id, program, category, now)
    if consent is None:
        raise Conflict(
            "consent_required",
            f"no valid consent lets {category} information go to {program.organization_id}; "
            "the match stands, but the referral cannot be sent",
            field="referral_id",
        )
    fields = ["participant_id", "need", *sorted(minimum(program, participant))]
    session.add(
        t.Disclosure(
            participant_id=participant.id,
            consent_id=consent.id,
            referral_id=referral.id,
            recipient_id=program.organization_id,
            fields=fields,
            notice=category == SUBSTANCE_USE,
            at=now,
            actor=actor,
        )
    )


def disclosures(
    session: Session, case_manager_id: str, participant_id: str
) -> list[DisclosureView]:
    """Everything disclosed about a participant: to whom, which fields, when, by whom."""
    own_participant(session, case_manager_id, participant_id)
    rows = session.exec(
        select(t.Disclosure)
        .where(t.Disclosure.participant_id == participant_id)
        .order_by(col(t.Disclosure.id))
    )
    return [
        DisclosureView(d.referral_id, d.recipient_id, d.fields, d.notice, d.at, d.actor)
        for d in rows
    ]
