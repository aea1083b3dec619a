"""Offers: a place that opens is offered to the need the queue's optimum gives it, the
case manager accepts or passes, offers expire, and workers never offer a place twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine, delete
from sqlmodel import Session, select

from matcher.jobs.offers import offer_freed, resolve_whole
from matcher.scenario import WaitlistPosition
from matcher.service import capacity, offers, participants, referrals
from matcher.service.offers import Resolved
from matcher.service.queue import case_manager_queue
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import declined_of
from tests.builders import make_need, make_participant
from tests.service.world import (
    CM,
    NOW,
    ORG,
    TTL,
    check_store,
    hold,
    outcome,
    program,
    race,
    run,
    seed,
)

OFFER_FOR = timedelta(hours=24)


def resolve(engine: Engine, at: datetime = NOW, *, every: bool = False) -> Resolved:
    return run(
        engine,
        lambda s: offers.resolve(
            s,
            at,
            offer_for=OFFER_FOR,
            time_limit=10,
            default_max_distance_km=None,
            force=every,
        ),
    )


def quiet(engine: Engine) -> None:
    """Forget the capacity signals so far (the programs' first reports)."""
    run(engine, lambda s: s.execute(delete(t.CapacitySignal)))


def who(engine: Engine, referral_ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """Referral id -> (need, program, status)."""

    def read(s: Session) -> dict[str, tuple[str, str, str]]:
        rows = s.exec(select(t.Referral).where(t.Referral.id.in_(referral_ids)))  # type: ignore[attr-defined]
        return {r.id: (r.need_id, r.program_id, r.status) for r in rows}

    return run(engine, read)


def needy(pid: str, acute: bool = False) -> dict[str, object]:
    return make_participant(id=pid, needs=[make_need(id=f"{pid}-0", acute=acute)])


def test_a_released_place_is_offered_to_the_acute_need_not_the_first_asker(
    engine: Engine,
) -> None:
    seed(engine, [program("g-1", open_slots=1)], [needy("a"), needy("b", acute=True)])
    held = hold(engine, "a", "a-0", "g-1")
    quiet(engine)
    assert resolve(engine).offered == []  # nothing opened
    run(engine, lambda s: referrals.release(s, CM, held.referral_id, NOW))
    done = resolve(engine)
    assert done.signals == 1
    assert list(who(engine, done.offered).values()) == [("b-0", "g-1", "offered")]
    queue = run(engine, lambda s: case_manager_queue(s, CM, NOW))
    offered = [w for w in queue if w.offer_id is not None]
    assert [(w.need_id, w.offer_program_id) for w in offered] == [("b-0", "g-1")]
    assert resolve(engine).offered == []  # the signal was answered once
    check_store(engine)


def test_an_accepted_offer_is_a_hold_that_can_be_confirmed(engine: Engine) -> None:
    seed(engine, [program("g-1", open_slots=1)], [needy("a")])
    (offer,) = resolve(engine).offered
    later = NOW + timedelta(hours=1)
    accepted = run(engine, lambda s: offers.accept(s, CM, offer, later, TTL))
    assert accepted.status == "held"
    assert accepted.expires_at == later + TTL
    sent = run(engine, lambda s: referrals.confirm(s, CM, offer, later, TTL))
    assert sent.status == "referred"
    assert outcome(lambda: run(engine, lambda s: offers.accept(s, CM, offer, later, TTL))) == (
        "not_offered"
    )
    check_store(engine)


def test_a_pass_gives_the_place_to_the_next_need_and_is_not_repeated_at_once(
    engine: Engine,
) -> None:
    seed(engine, [program("g-1", open_slots=1)], [needy("a", acute=True), needy("b")])
    (first,) = resolve(engine).offered
    assert who(engine, [first])[first][0] == "a-0"
    later = NOW + timedelta(hours=1)
    run(engine, lambda s: offers.pass_offer(s, CM, first, later))
    (second,) = resolve(engine, later).offered
    assert who(engine, [second])[second][:2] == ("b-0", "g-1")
    run(engine, lambda s: offers.pass_offer(s, CM, second, later))
    assert resolve(engine, later).offered == []  # both passed just now: no repeat
    # After an offer's time, the passes no longer steer: the place is offered again.
    again = resolve(engine, later + OFFER_FOR + timedelta(minutes=1), every=True).offered
    assert [who(engine, again)[r][0] for r in again] == ["a-0"]
    check_store(engine)


def test_passing_changes_nothing_else_for_the_participant(engine: Engine) -> None:
    two = make_participant(
        id="a", needs=[make_need(id="a-0"), make_need(id="a-1", service_types=["food.pantry"])]
    )
    seed(engine, [program("g-1", open_slots=1)], [two])
    before = run(engine, lambda s: (participants.version_of(s, CM, "a"), declined_of(s, ["a"])))
    queue_before = run(engine, lambda s: case_manager_queue(s, CM, NOW))
    (offer,) = resolve(engine).offered
    run(engine, lambda s: offers.pass_offer(s, CM, offer, NOW))
    after = run(engine, lambda s: (participants.version_of(s, CM, "a"), declined_of(s, ["a"])))
    assert after == before  # a pass is no decline and no plan change
    assert run(engine, lambda s: case_manager_queue(s, CM, NOW)) == queue_before


def test_an_offer_nobody_answers_expires_in_the_sweep_and_its_place_returns(
    engine: Engine,
) -> None:
    seed(engine, [program("g-1", open_slots=1)], [needy("a")])
    (offer,) = resolve(engine).offered
    quiet(engine)
    after = NOW + OFFER_FOR + timedelta(minutes=1)
    assert run(engine, lambda s: referrals.expire_due(s, after)) == 1
    assert who(engine, [offer])[offer][2] == "expired"
    again = resolve(engine, after).offered  # the expiry signalled the place
    assert [who(engine, again)[r][0] for r in again] == ["a-0"]
    check_store(engine)


def test_an_offer_past_its_time_is_offered_again_before_the_sweep_records_it(
    engine: Engine,
) -> None:
    # The place is free again once the offer's time is up, so its need waits again
    # too: the queue never holds the place free and the need out of it at once.
    seed(engine, [program("g-1", open_slots=1)], [needy("a")])
    (offer,) = resolve(engine).offered
    after = NOW + OFFER_FOR + timedelta(minutes=1)
    queue = run(engine, lambda s: case_manager_queue(s, CM, after))
    assert [(w.need_id, w.offer_id) for w in queue] == [("a-0", None)]
    again = resolve(engine, after, every=True).offered
    assert [who(engine, again)[r][:2] for r in again] == [("a-0", "g-1")]
    assert who(engine, [offer])[offer][2] == "expired"  # recorded before the new offer
    check_store(engine)


def test_an_offer_never_takes_a_place_owed_to_the_waitlist(engine: Engine) -> None:
    seed(engine, [program("g-1", open_slots=2, waitlist=2)], [needy("a"), needy("b")])
    assert resolve(engine).offered == []
    check_store(engine)


def test_workers_resolving_at_once_never_offer_one_place_twice(engine: Engine) -> None:
    people = [needy(f"x{i}", acute=i % 3 == 0) for i in range(12)]
    seed(engine, [program("g-1", open_slots=3), program("g-2", open_slots=2)], people)
    for round_ in range(4):
        at = NOW + timedelta(seconds=round_)
        outcomes = race([partial(resolve, engine, at) for _ in range(4)])
        assert outcomes == ["ok"] * 4
        with session_scope(engine) as s:
            live = s.exec(select(t.Referral).where(t.Referral.status == "offered")).all()
            assert len(live) == 5, round_  # one offer per place, never two
            assert len({r.need_id for r in live}) == 5
        # Every offer is passed on; the places open again for the next round.
        for r in live:
            run(engine, lambda s, rid=r.id: offers.pass_offer(s, CM, rid, NOW))  # type: ignore[misc]
    check_store(engine)


def test_a_participants_waitlist_turn_is_offered_when_it_comes_and_displaces_nobody(
    engine: Engine,
) -> None:
    seed(engine, [program("g-1", open_slots=1, waitlist=3)], [needy("a"), needy("b")])
    where = [WaitlistPosition(program_id="g-1", position=2)]
    run(engine, lambda s: participants.set_waitlists(s, CM, "a", where, NOW))
    assert resolve(engine).offered == []  # one free place: position 1's turn only
    later = NOW + timedelta(hours=2)
    run(
        engine,
        lambda s: capacity.report_capacity(
            s, ORG, "g-1", open_slots=2, waitlist=3, actor="provider", now=later
        ),
    )
    (offer,) = resolve(engine, later).offered  # b, on no waitlist, gets nothing
    with session_scope(engine) as s:
        r = s.get(t.Referral, offer)
        assert r is not None
        assert (r.need_id, r.pool, r.status) == ("a-0", "waitlist_turn", "offered")
    check_store(engine)


def test_the_hourly_whole_re_solve_offers_what_no_signal_announced(engine: Engine) -> None:
    seed(engine, [program("g-1", open_slots=1)], [needy("a")])
    (first,) = resolve(engine).offered
    run(engine, lambda s: offers.pass_offer(s, CM, first, NOW))
    quiet(engine)  # the pass's own signal answered; its lapse writes none
    lapsed = NOW + OFFER_FOR + timedelta(minutes=1)
    assert offer_freed(engine, lambda: lapsed) == 0  # the round: no signal, nothing to do
    assert resolve_whole(engine, lambda: lapsed) == 1  # the hourly run finds the need
    assert resolve_whole(engine, lambda: lapsed) == 0  # and offers it once
    check_store(engine)
