"""The capacity ledger: each event's effect, and a state machine against a plain model."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from matcher.capacity.ledger import (
    Event,
    EventKind,
    LedgerError,
    ProgramLedger,
    apply,
    expired,
    fold,
)
from matcher.capacity.pools import PoolName

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
TTL = timedelta(hours=48)


def report(open_slots: int, waitlist: int = 0, at: datetime = T0) -> Event:
    return Event(EventKind.REPORTED, at, "provider", open_slots=open_slots, waitlist=waitlist)


def hold(hid: str, pool: PoolName = "general", at: datetime = T0) -> Event:
    return Event(EventKind.HOLD_PLACED, at, "cm", hold_id=hid, pool=pool, expires_at=at + TTL)


def test_general_hold_needs_a_place_beyond_the_waitlist() -> None:
    state = fold([report(3, waitlist=2), hold("a")])
    assert state.capacity_at(T0).held == 1
    with pytest.raises(LedgerError) as err:
        apply(state, hold("b"))
    assert err.value.rule == "no_room"


def test_unreported_program_gives_no_general_place() -> None:
    with pytest.raises(LedgerError):
        apply(ProgramLedger(), hold("a"))


def test_hold_stops_counting_at_expiry_without_a_sweeper() -> None:
    state = fold([report(1), hold("a")])
    assert state.room("general", T0 + TTL - timedelta(seconds=1)) == 0
    later = T0 + TTL
    assert state.room("general", later) == 1
    assert [h.hold_id for h in expired(state, later)] == ["a"]
    state = apply(state, hold("b", at=later))
    assert state.capacity_at(later).held == 1


def test_enrolment_fills_a_place_until_the_next_report() -> None:
    state = fold([report(2), hold("a"), Event(EventKind.ENROLLED, T0, "provider", hold_id="a")])
    cap = state.capacity_at(T0)
    assert (cap.open_slots, cap.held) == (1, 0)
    ended = apply(state, Event(EventKind.PLACEMENT_ENDED, T0, "provider", pool="general"))
    assert ended.capacity_at(T0).open_slots == 2
    assert apply(ended, report(0)).capacity_at(T0).open_slots == 0


def test_expired_hold_cannot_be_enrolled() -> None:
    state = fold([report(1), hold("a")])
    with pytest.raises(LedgerError) as err:
        apply(state, Event(EventKind.ENROLLED, T0 + TTL, "provider", hold_id="a"))
    assert err.value.rule == "hold_expired"


def test_purchase_and_reserved_pools() -> None:
    state = fold(
        [
            Event(EventKind.PURCHASABLE_SET, T0, "funder", places=2, price_cents=150_00),
            Event(EventKind.PLACES_PURCHASED, T0, "funder", places=1),
            hold("r", "lead_reserved"),
            hold("p", "purchase"),
        ]
    )
    cap = state.capacity_at(T0)
    assert (cap.lead_reserved_open, cap.purchasable, cap.price) == (0, 0, 150.0)
    assert state.holds["p"].price_cents == 150_00
    with pytest.raises(LedgerError):
        apply(state, hold("q", "purchase"))
    released = apply(state, Event(EventKind.HOLD_RELEASED, T0, "cm", hold_id="p"))
    assert released.capacity_at(T0).purchasable == 1


def test_version_counts_events() -> None:
    assert fold([report(1), hold("a"), report(4)]).version == 3


def test_negative_report_is_refused() -> None:
    with pytest.raises(LedgerError) as err:
        apply(ProgramLedger(), report(-1))
    assert err.value.rule == "non_negative"


@dataclass
class Model:
    """The plain bookkeeping the ledger must agree with."""

    reported: int | None = None
    waitlist: int = 0
    enrolled: int = 0
    ended: int = 0
    lead: int = 0
    purchasable: int = 0
    holds: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    def held(self, pool: str, now: datetime) -> int:
        return sum(1 for p, e in self.holds.values() if p == pool and now < e)

    def room(self, pool: str, now: datetime) -> int:
        if pool == "general":
            if self.reported is None:
                return 0
            free = max(0, self.reported - self.enrolled + self.ended)
            return max(0, free - self.held("general", now) - self.waitlist)
        if pool == "lead_reserved":
            return max(0, self.lead - self.held("lead_reserved", now))
        return max(0, self.purchasable - self.held("purchase", now))


POOLS = st.sampled_from(["general", "lead_reserved", "purchase"])


class LedgerMachine(RuleBasedStateMachine):
    """Hold / confirm / release / expire / enrol / end / report / clock advance."""

    def __init__(self) -> None:
        super().__init__()
        self.state = ProgramLedger()
        self.model = Model()
        self.now = T0
        self.serial = 0

    def _apply(self, event: Event) -> None:
        self.state = apply(self.state, event)

    @rule(open_slots=st.integers(0, 6), waitlist=st.integers(0, 4))
    def provider_report(self, open_slots: int, waitlist: int) -> None:
        self._apply(report(open_slots, waitlist, self.now))
        self.model.reported, self.model.waitlist = open_slots, waitlist
        self.model.enrolled = self.model.ended = 0

    @rule(places=st.integers(0, 3))
    def set_purchasable(self, places: int) -> None:
        self._apply(Event(EventKind.PURCHASABLE_SET, self.now, "f", places=places))
        self.model.purchasable = places

    @rule(pool=POOLS)
    def place_hold(self, pool: PoolName) -> None:
        self.serial += 1
        hid = f"h{self.serial}"
        room = self.model.room(pool, self.now)
        try:
            self._apply(hold(hid, pool, self.now))
            placed = True
        except LedgerError:
            placed = False
        assert placed == (room > 0)
        if not placed:
            return
        self.model.holds[hid] = (pool, self.now + TTL)
        cap = self.state.capacity_at(self.now)
        if pool == "general":  # nobody waiting was bumped: held places fit beside the waitlist
            assert cap.open_slots is not None
            assert cap.held + cap.waitlist <= cap.open_slots

    @precondition(lambda self: bool(self.model.holds))
    @rule(data=st.data(), kind=st.sampled_from(["release", "confirm", "enrol"]))
    def act_on_hold(self, data: st.DataObject, kind: str) -> None:
        hid = data.draw(st.sampled_from(sorted(self.model.holds)))
        pool, expires = self.model.holds[hid]
        live = self.now < expires
        if kind == "release":
            self._apply(Event(EventKind.HOLD_RELEASED, self.now, "cm", hold_id=hid))
            del self.model.holds[hid]
            return
        ekind = EventKind.REFERRAL_CONFIRMED if kind == "confirm" else EventKind.ENROLLED
        try:
            self._apply(Event(ekind, self.now, "x", hold_id=hid, expires_at=self.now + TTL))
        except LedgerError:
            assert not live
            return
        assert live
        if kind == "confirm":
            self.model.holds[hid] = (pool, self.now + TTL)
            return
        del self.model.holds[hid]
        if pool == "general":
            self.model.enrolled += 1
        elif pool == "lead_reserved":
            self.model.lead -= 1
        else:
            self.model.purchasable -= 1

    @rule(pool=POOLS)
    def end_placement(self, pool: PoolName) -> None:
        self._apply(Event(EventKind.PLACEMENT_ENDED, self.now, "p", pool=pool))
        if pool == "general":
            self.model.ended += 1
        else:
            self.model.lead += 1

    @rule(hours=st.integers(1, 60))
    def advance_clock(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule()
    def sweep(self) -> None:
        for h in expired(self.state, self.now):
            self._apply(Event(EventKind.HOLD_EXPIRED, self.now, "system", hold_id=h.hold_id))
            del self.model.holds[h.hold_id]

    @invariant()
    def agrees_with_model(self) -> None:
        pools: tuple[PoolName, ...] = ("general", "lead_reserved", "purchase")
        for pool in pools:
            assert self.state.room(pool, self.now) == self.model.room(pool, self.now)
        cap = self.state.capacity_at(self.now)  # validates: nothing negative, held <= open
        assert cap.waitlist == self.model.waitlist


TestLedgerMachine = LedgerMachine.TestCase


def turn(hid: str, position: int | None) -> Event:
    return replace(hold(hid, "waitlist_turn"), position=position)


def test_a_waitlist_turn_is_held_only_within_the_free_places() -> None:
    state = fold([report(2, waitlist=4), turn("a", 2)])
    # The turn takes one of the free places: general stays at none, and the next
    # position must now fit in what is left.
    assert state.capacity_at(T0).held == 1
    assert state.room("general", T0) == 0
    for position in (2, None):
        with pytest.raises(LedgerError) as err:
            apply(state, turn("b", position))
        assert err.value.rule == "no_room"
    assert state.room("waitlist_turn", T0, 1) == 1


def test_a_turn_taken_leaves_the_waitlist_and_the_unused_places_as_they_were() -> None:
    state = fold([report(5, waitlist=3), turn("a", 3)])
    unused = state.room("general", T0)
    enrolled = apply(state, Event(EventKind.ENROLLED, T0, "provider", hold_id="a"))
    assert enrolled.waitlist == 2
    assert enrolled.room("general", T0) >= unused
    ended = apply(enrolled, Event(EventKind.PLACEMENT_ENDED, T0, "provider", pool="waitlist_turn"))
    assert ended.capacity_at(T0).open_slots == 5
