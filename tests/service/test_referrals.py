"""Holds and referrals through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from matcher.service import capacity, consent, referrals
from matcher.service.errors import Conflict, Invalid, NotFound, ServiceError
from matcher.store.engine import session_scope
from matcher.store.ledger import verify
from matcher.store.snapshot import import_scenario
from tests.builders import make_need, make_participant, make_program, make_scenario

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
TTL = timedelta(hours=48)
CM = "cm-1"


def seed(
    engine: Engine, *, open_slots: int = 3, waitlist: int = 0, people: int = 1, budget: float = 0
) -> None:
    program = make_program(
        capacity={"open_slots": open_slots, "waitlist": waitlist, "purchasable": 2, "price": 500.0}
    )
    persons = [
        make_participant(id=f"x-{i}", needs=[make_need(id=f"x-{i}-1")]) for i in range(people)
    ]
    with session_scope(engine) as s:
        import_scenario(
            s, make_scenario([program], persons, budget=budget), NOW, case_manager_id=CM
        )
        for person in persons:
            consent_all(s, str(person["id"]))


def consent_all(s: Session, participant_id: str) -> None:
    """The participant consents to share everything with the test program's provider."""
    consent.grant(
        s,
        CM,
        participant_id,
        recipient_type="organization",
        recipient_id="org-1",
        categories=["*"],
        starts_at=NOW - timedelta(days=1),
        ends_at=None,
        now=NOW,
    )


def hold(
    engine: Engine, person: int, pool: str = "general", at: datetime = NOW
) -> referrals.ReferralView:
    with session_scope(engine) as s:
        return referrals.place_hold(
            s,
            CM,
            participant_id=f"x-{person}",
            need_id=f"x-{person}-1",
            program_id="g-1",
            pool=pool,
            now=at,
            ttl=TTL,
        )


def unused(engine: Engine, at: datetime = NOW) -> int:
    with session_scope(engine) as s:
        return capacity.get_program(s, "org-1", "g-1", at).unused


def test_full_referral_flow_keeps_the_ledger_consistent(engine: Engine) -> None:
    seed(engine, open_slots=3, waitlist=1, people=2)
    assert unused(engine) == 2
    first = hold(engine, 0)
    assert unused(engine) == 1
    with session_scope(engine) as s:
        assert referrals.incoming(s, "org-1", NOW) == []  # not confirmed yet
        referrals.confirm(s, CM, first.referral_id, NOW, TTL)
    with session_scope(engine) as s:
        [seen] = referrals.incoming(s, "org-1", NOW)
        assert (seen.participant_id, seen.status) == ("x-0", "referred")
        referrals.enrol(s, "org-1", first.referral_id, "staff-1", NOW)
    with session_scope(engine) as s:
        view = capacity.get_program(s, "org-1", "g-1", NOW)
        assert (view.open_slots, view.held, view.unused) == (2, 0, 1)
        referrals.end_placement(s, "org-1", first.referral_id, "completed", "staff-1", NOW)
        steps = [h.status for h in referrals.history(s, CM, first.referral_id)]
        assert steps == ["held", "referred", "enrolled", "ended"]
    second = hold(engine, 1)
    with session_scope(engine) as s:
        referrals.withdraw(s, CM, second.referral_id, NOW)
        assert verify(s, ["g-1"]) == []
    assert unused(engine) == 2


def test_holds_expire_without_a_sweeper_and_are_recorded_when_touched(engine: Engine) -> None:
    seed(engine, open_slots=1)
    first = hold(engine, 0)
    assert unused(engine) == 0
    assert unused(engine, NOW + TTL) == 1
    with pytest.raises(Conflict) as err, session_scope(engine) as s:
        referrals.confirm(s, CM, first.referral_id, NOW + TTL, TTL)
    assert err.value.rule == "status"
    assert "expired" in err.value.message
    with session_scope(engine) as s:
        assert referrals.expire_due(s, NOW + TTL) == 1
    with session_scope(engine) as s:
        assert [h.status for h in referrals.history(s, CM, first.referral_id)] == [
            "held",
            "expired",
        ]
        assert verify(s, ["g-1"]) == []


def test_sweeper_records_expiries(engine: Engine) -> None:
    seed(engine, open_slots=2, people=2)
    hold(engine, 0)
    hold(engine, 1)
    with session_scope(engine) as s:
        assert referrals.expire_due(s, NOW + TTL) == 2
    with session_scope(engine) as s:
        assert referrals.expire_due(s, NOW + TTL) == 0
        assert verify(s, ["g-1"]) == []


def test_no_general_place_while_people_wait(engine: Engine) -> None:
    seed(engine, open_slots=2, waitlist=2)
    with pytest.raises(Conflict) as err:
        hold(engine, 0)
    assert err.value.rule == "no_room"


def test_one_open_referral_per_need(engine: Engine) -> None:
    seed(engine, open_slots=3)
    hold(engine, 0)
    with pytest.raises(Conflict) as err:
        hold(engine, 0)
    assert err.value.rule == "need_already_held"


def test_purchase_hold_reserves_money_and_enrolment_spends_it(engine: Engine) -> None:
    seed(engine, open_slots=0, people=2, budget=700)
    first = hold(engine, 0, "purchase")
    with pytest.raises(Conflict) as err:
        hold(engine, 1, "purchase")  # 500 of 700 reserved: 200 left
    assert err.value.rule == "budget"
    with session_scope(engine) as s:
        referrals.confirm(s, CM, first.referral_id, NOW, TTL)
        referrals.enrol(s, "org-1", first.referral_id, "staff", NOW)
    with session_scope(engine) as s:
        from matcher.service.funding import fund

        money = fund(s, NOW)
        assert (money.balance, money.available, money.spent) == (200.0, 200.0, 500.0)
        assert money.purchases.cells[0] == [None, None]  # one place: suppressed


def test_rules_are_enforced_on_holds(engine: Engine) -> None:
    program = make_program(capacity={"open_slots": 3}, barriers={"excludes_active_use": True})
    person = make_participant(
        id="x-0", attributes={"active_use": True}, needs=[make_need(id="x-0-1")]
    )
    with session_scope(engine) as s:
        import_scenario(s, make_scenario([program], [person]), NOW, case_manager_id=CM)
    with pytest.raises(Invalid) as err:
        hold(engine, 0)
    assert err.value.rule == "excludes_active_use"


def test_another_case_managers_participant_looks_missing(engine: Engine) -> None:
    seed(engine)
    with pytest.raises(NotFound), session_scope(engine) as s:
        referrals.place_hold(
            s,
            "cm-2",
            participant_id="x-0",
            need_id="x-0-1",
            program_id="g-1",
            pool="general",
            now=NOW,
            ttl=TTL,
        )
    with pytest.raises(NotFound), session_scope(engine) as s:
        capacity.get_program(s, "org-2", "g-1", NOW)


def test_stale_capacity_report_is_refused(engine: Engine) -> None:
    seed(engine)
    with session_scope(engine) as s:
        version = capacity.get_program(s, "org-1", "g-1", NOW).version
        capacity.report_capacity(
            s,
            "org-1",
            "g-1",
            open_slots=5,
            waitlist=1,
            actor="p",
            now=NOW,
            expected_version=version,
        )
    with pytest.raises(Conflict) as err, session_scope(engine) as s:
        capacity.report_capacity(
            s,
            "org-1",
            "g-1",
            open_slots=9,
            waitlist=0,
            actor="p",
            now=NOW,
            expected_version=version,
        )
    assert err.value.rule == "stale_version"
    assert unused(engine) == 4


@pytest.mark.parametrize("round_", range(3))
def test_last_places_go_to_exactly_one_request_each(engine: Engine, round_: int) -> None:
    """50 simultaneous holds for a program with 3 unused places: 3 win, 47 conflict."""
    seed(engine, open_slots=5, waitlist=2, people=50)
    start = Barrier(50)

    def attempt(person: int) -> str:
        start.wait()
        try:
            hold(engine, person)
        except ServiceError as err:
            return err.rule
        return "ok"

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count("ok") == 3, outcomes
    assert outcomes.count("no_room") == 47
    assert unused(engine) == 0
    with session_scope(engine) as s:
        assert verify(s, ["g-1"]) == []
