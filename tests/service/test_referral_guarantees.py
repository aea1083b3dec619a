"""What a referral promises, one symptom each, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from matcher.service import capacity, consent, matching, participants, referrals
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.service.world import (
    CM,
    NOW,
    ORG,
    TTL,
    check_store,
    hold,
    person,
    program,
    run,
    seed,
)


def _seed(engine: Engine) -> None:
    near = program("near", open_slots=5)
    far = program("far", open_slots=5, location={"lat": 47.63, "lon": -122.34})
    seed(engine, [near, far], [person("x-1", needs=2), person("x-2")])


def _sent(engine: Engine, need: str = "x-1-0", at: str = "near") -> str:
    r = hold(engine, need.rsplit("-", 1)[0], need, at)
    run(engine, lambda s: referrals.confirm(s, CM, r.referral_id, NOW, TTL))
    return r.referral_id


def _incoming(
    engine: Engine, status: str | None = None, at: timedelta = timedelta()
) -> list[referrals.ReferralView]:
    return run(engine, lambda s: referrals.incoming(s, ORG, NOW + at, status))


def test_the_database_refuses_a_second_open_referral_for_a_need(engine: Engine) -> None:
    _seed(engine)
    hold(engine, "x-1", "x-1-0", "near")
    forged = t.Referral(
        id="r-forged",
        program_id="far",
        participant_id="x-1",
        need_id="x-1-0",
        case_manager_id=CM,
        pool="general",
        status="held",
        created_at=NOW,
        updated_at=NOW,
        expires_at=NOW + TTL,
    )
    with pytest.raises(IntegrityError):  # a hand-written insert, past every Python check
        run(engine, lambda s: s.add(forged))
    with pytest.raises(Conflict) as err:
        hold(engine, "x-1", "x-1-0", "far")
    assert err.value.rule == "need_already_held"


def test_a_hold_never_sent_is_never_shown_to_the_provider(engine: Engine) -> None:
    _seed(engine)
    released = hold(engine, "x-1", "x-1-0", "near")
    run(engine, lambda s: referrals.release(s, CM, released.referral_id, NOW))
    hold(engine, "x-2", "x-2-0", "near", at=NOW - TTL - timedelta(hours=1))  # expires unsent
    run(engine, lambda s: referrals.expire_due(s, NOW))
    assert _incoming(engine) == []
    assert _incoming(engine, "released") == []
    assert _incoming(engine, "expired") == []
    with pytest.raises(NotFound):
        run(engine, lambda s: referrals.enrol(s, ORG, released.referral_id, "staff", NOW))


def test_revoking_consent_withdraws_the_waiting_referral_and_frees_its_place(
    engine: Engine,
) -> None:
    _seed(engine)
    sent = _sent(engine)
    unused = run(engine, lambda s: capacity.get_program(s, ORG, "near", NOW)).unused
    consent_id = run(engine, lambda s: consent.consents(s, CM, "x-1"))[0].consent_id
    run(engine, lambda s: consent.revoke(s, CM, "x-1", consent_id, NOW))
    steps = run(engine, lambda s: referrals.history(s, CM, sent))
    assert (steps[-1].status, steps[-1].reason) == ("withdrawn", "consent_withdrawn")
    assert run(engine, lambda s: capacity.get_program(s, ORG, "near", NOW)).unused == unused + 1
    (seen,) = _incoming(engine)
    assert seen.status == "withdrawn"
    assert (seen.participant_id, seen.need_id, seen.facts) == ("withheld", "withheld", {})
    with pytest.raises(Conflict) as err:
        run(engine, lambda s: referrals.enrol(s, ORG, sent, "staff", NOW))
    assert err.value.rule == "consent_withdrawn"
    check_store(engine)


def test_an_enrolment_under_a_consent_that_ran_out_is_refused(engine: Engine) -> None:
    _seed(engine)
    sent = _sent(engine)
    with session_scope(engine) as s:  # the consent's period ends an hour from now
        for row in s.exec(select(t.Consent).where(t.Consent.participant_id == "x-1")):
            row.ends_at = NOW + timedelta(hours=1)
            s.add(row)
    later = NOW + timedelta(hours=2)
    with pytest.raises(Conflict) as err:
        run(engine, lambda s: referrals.enrol(s, ORG, sent, "staff", later))
    assert err.value.rule == "consent_withdrawn"
    run(engine, lambda s: referrals.expire_due(s, later))  # the sweeper withdraws it
    steps = run(engine, lambda s: referrals.history(s, CM, sent))
    assert (steps[-1].status, steps[-1].reason) == ("withdrawn", "consent_withdrawn")
    check_store(engine)


def test_declines_steer_the_need_and_cost_nothing_else(engine: Engine) -> None:
    _seed(engine)
    mine = hold(engine, "x-1", "x-1-0", "near")
    run(engine, lambda s: referrals.withdraw(s, CM, mine.referral_id, NOW))  # participant
    theirs = _sent(engine, "x-1-0", "far")
    run(engine, lambda s: referrals.decline(s, ORG, theirs, "not_eligible", "staff", NOW))
    needs = {n.id: n for n in run(engine, lambda s: participants.get(s, CM, "x-1")).needs}
    assert needs["x-1-0"].declined_programs == ["far", "near"]
    assert needs["x-1-1"].declined_programs == []  # the other need is unaffected
    with pytest.raises(Invalid) as err:
        hold(engine, "x-1", "x-1-0", "near")
    assert err.value.rule == "declined"
    found = run(engine, lambda s: matching.match_participant(s, CM, "x-1", NOW, 10))
    by_need = {n.need_id: n for n in found.needs}
    assert by_need["x-1-0"].options == []
    assert by_need["x-1-0"].recommended is None
    assert by_need["x-1-0"].excluded == {"declined": 2}
    assert by_need["x-1-1"].recommended is not None  # declining cost nothing elsewhere
    # The participant changed their mind about the nearer program.
    run(engine, lambda s: referrals.clear_decline(s, CM, "x-1", "x-1-0", "near", NOW))
    again = run(engine, lambda s: participants.get(s, CM, "x-1")).needs[0]
    assert again.declined_programs == ["far"]
    assert hold(engine, "x-1", "x-1-0", "near").status == "held"
    with pytest.raises(NotFound):
        run(engine, lambda s: referrals.clear_decline(s, CM, "x-1", "x-1-0", "near", NOW))


def test_a_decline_for_the_moment_does_not_steer(engine: Engine) -> None:
    _seed(engine)
    sent = _sent(engine)
    run(engine, lambda s: referrals.decline(s, ORG, sent, "no_capacity", "staff", NOW))
    assert run(engine, lambda s: participants.get(s, CM, "x-1")).needs[0].declined_programs == []


def test_decline_and_end_share_one_shape(engine: Engine) -> None:
    _seed(engine)
    sent = _sent(engine)
    with pytest.raises(Invalid) as err:
        run(engine, lambda s: referrals.decline(s, ORG, sent, "not_eligible", "a", NOW, "why"))
    assert (err.value.rule, err.value.field) == ("note_only_for_other", "note")
    view = run(engine, lambda s: referrals.enrol(s, ORG, sent, "staff", NOW))
    assert view.status == "enrolled"
    ended = run(
        engine,
        lambda s: referrals.end_placement(s, ORG, sent, "other", "staff", NOW, "went home"),
    )
    assert (ended.status, ended.note) == ("ended", "went home")


def test_holds_and_releases_do_not_make_the_providers_report_stale(engine: Engine) -> None:
    _seed(engine)
    version = run(engine, lambda s: capacity.get_program(s, ORG, "near", NOW)).version
    held = hold(engine, "x-1", "x-1-0", "near")
    run(engine, lambda s: referrals.release(s, CM, held.referral_id, NOW))
    hold(engine, "x-2", "x-2-0", "near")
    saved = run(
        engine,
        lambda s: capacity.report_capacity(
            s, ORG, "near", open_slots=4, waitlist=0, actor="p", now=NOW, expected_version=version
        ),
    )
    assert (saved.open_slots, saved.version) == (4, version + 1)
    with pytest.raises(Conflict):  # a second report from the same form is still refused
        run(
            engine,
            lambda s: capacity.report_capacity(
                s,
                ORG,
                "near",
                open_slots=1,
                waitlist=0,
                actor="p",
                now=NOW,
                expected_version=version,
            ),
        )
    check_store(engine)


def test_an_unanswered_referral_is_flagged_after_its_own_deadline(engine: Engine) -> None:
    _seed(engine)
    r = hold(engine, "x-1", "x-1-0", "near")
    within = timedelta(days=2)
    run(engine, lambda s: referrals.confirm(s, CM, r.referral_id, NOW, TTL, within))

    def mine(at: timedelta) -> referrals.ReferralView:
        (view,) = run(
            engine, lambda s: referrals.case_manager_referrals(s, CM, "x-1", now=NOW + at)
        )
        return view

    assert mine(timedelta(days=1)).overdue is False
    late = mine(within + timedelta(hours=1))
    assert late.overdue is True
    assert late.status == "referred"
    assert late.respond_by == NOW + within
    assert late.expires_at == NOW + within + TTL  # the place stays held a hold TTL longer
    (provider_view,) = _incoming(engine, at=within + timedelta(hours=1))
    assert provider_view.overdue is False  # a flag for the case manager only


def test_a_blank_note_is_no_note() -> None:
    """A form sends an empty note field with every reason: it is read as none."""
    from matcher.capacity.referral import Answer

    assert Answer("not_eligible", "  ").check(("not_eligible",)) == Answer("not_eligible")
