"""A provider sees who to call about a referral, only while a consent covers it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from matcher.service import accounts, consent, referrals
from matcher.store.engine import session_scope
from tests.service.world import CM, NOW, ORG, TTL, hold, person, program, seed


def test_the_case_managers_work_contact_goes_with_a_covered_referral_only(
    engine: Engine,
) -> None:
    seed(engine, [program("g-1")], [person("x-1")])
    with session_scope(engine) as s:
        accounts.create_account(
            s,
            username="ana",
            role="case_manager",
            password=None,
            subject_id=CM,
            now=NOW,
            email="ana@lead.example.org",
        )
    held = hold(engine, "x-1", "x-1-0", "g-1")
    with session_scope(engine) as s:
        referrals.confirm(s, CM, held.referral_id, NOW, TTL)
        [seen] = referrals.incoming(s, ORG, NOW)
        assert seen.contact == "ana <ana@lead.example.org>"
        [given] = consent.consents(s, CM, "x-1")
        consent.revoke(s, CM, "x-1", given.consent_id, NOW + timedelta(minutes=1))
    with session_scope(engine) as s:
        [after] = referrals.incoming(s, ORG, NOW + timedelta(minutes=2))
        assert after.contact is None
        assert after.participant_id == "withheld"
