"""The capacity ledger: events in, state out. Pure: no clock, no database.

A program's capacity changes only through events. A provider's *report* is a snapshot
of its free places (``open_slots``, which still include places held for this system's
pending referrals) and its waitlist; holds, enrolments and ended placements after it
apply on top until the next report. A hold has an expiry time and stops counting at
that time whether or not anyone records its expiry, so state is always read *at* a
moment (``capacity_at``).

Places come from three pools (see ``matcher.capacity.pools``): a hold on a ``general``
place is allowed only while ``open - held - waitlist > 0`` at that moment, so nobody
already waiting is bumped; a ``lead_reserved`` hold takes one of the places the fund
already paid for; a ``purchase`` hold takes one of the places the fund may buy, and
its price is reserved from the fund until it is released or the place is bought; a
``waitlist_turn`` hold is a participant's own turn on the program's waitlist, allowed
only while their position is within ``open - held`` (the people ahead keep their
places), and it takes one of those free places like a general hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from matcher.capacity.pools import POOL_NAMES, PoolName, turn_has_come, unused_places
from matcher.scenario import Capacity


class EventKind(StrEnum):
    """What happened to a program's capacity."""

    REPORTED = "reported"
    HOLD_PLACED = "hold_placed"
    HOLD_RELEASED = "hold_released"
    HOLD_EXPIRED = "hold_expired"
    REFERRAL_CONFIRMED = "referral_confirmed"
    HOLD_EXTENDED = "hold_extended"
    ENROLLED = "enrolled"
    PLACEMENT_ENDED = "placement_ended"
    PURCHASABLE_SET = "purchasable_set"
    RESERVED_SET = "reserved_set"
    PLACES_PURCHASED = "places_purchased"


class LedgerError(ValueError):
    """An event that the current state does not allow; ``rule`` names the rule broken."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True, slots=True)
class Hold:
    """One place held for a pending referral, until ``expires_at``."""

    hold_id: str
    pool: PoolName
    expires_at: datetime
    price_cents: int = 0

    def active(self, now: datetime) -> bool:
        """A hold counts until its expiry time, recorded or not."""
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class Event:
    """One ledger event. Fields that a kind does not use stay at their defaults."""

    kind: EventKind
    at: datetime
    actor: str
    reason: str = ""
    open_slots: int | None = None
    waitlist: int | None = None
    hold_id: str | None = None
    pool: PoolName | None = None
    expires_at: datetime | None = None
    places: int = 0
    price_cents: int = 0
    position: int | None = None
    """A ``waitlist_turn`` hold's place on the waitlist (1 = next)."""


FREE_PLACE_POOLS: tuple[PoolName, ...] = ("general", "waitlist_turn")
"""Pools whose holds take one of the program's own free places."""


@dataclass(frozen=True, slots=True)
class ProgramLedger:
    """A program's capacity state after some events.

    ``open_slots`` is the last report (``None`` before any report); ``enrolled`` and
    ``ended`` count general places filled and freed by this system since that report.
    ``lead_reserved`` counts paid-for places not yet filled; ``purchasable`` the places
    the fund may still buy. ``holds`` are every hold not yet released, expired-and-
    recorded or enrolled: an unrecorded expired hold stays here but no longer counts.
    ``version`` counts every event; ``reports`` counts provider reports only, the
    version a provider's next report is checked against.
    """

    open_slots: int | None = None
    waitlist: int = 0
    reported_at: datetime | None = None
    enrolled: int = 0
    ended: int = 0
    lead_reserved: int = 0
    purchasable: int = 0
    price_cents: int = 0
    holds: Mapping[str, Hold] = field(default_factory=dict)
    version: int = 0
    reports: int = 0

    def free_now(self) -> int | None:
        """Free places (held ones included) after this system's enrolments and endings."""
        if self.open_slots is None:
            return None
        return max(0, self.open_slots - self.enrolled + self.ended)

    def active_holds(self, now: datetime, pool: PoolName | None = None) -> list[Hold]:
        """Holds that still count at ``now``, optionally of one pool."""
        return [
            h for h in self.holds.values() if h.active(now) and (pool is None or h.pool == pool)
        ]

    def capacity_at(self, now: datetime) -> Capacity:
        """The scenario contract's capacity at ``now``: what the solver may use.

        A held ``waitlist_turn`` is one of the people waiting whose place is now held
        for them: it counts in ``held`` and no longer in ``waitlist`` (the provider's
        count still includes them until they enrol). Counted in both, the place would
        be owed twice and a general place the queue's optimum gave someone else beside
        that turn would be refused; so ``general`` stays what it was before the turn
        was held, as it does once the turn's holder enrols."""
        free = self.free_now()
        held = sum(len(self.active_holds(now, pool)) for pool in FREE_PLACE_POOLS)
        turns = len(self.active_holds(now, "waitlist_turn"))
        return Capacity(
            open_slots=free,
            waitlist=max(0, self.waitlist - turns),
            held=min(held, free) if free is not None else 0,
            lead_reserved_open=max(
                0, self.lead_reserved - len(self.active_holds(now, "lead_reserved"))
            ),
            updated=self.reported_at,
            purchasable=max(0, self.purchasable - len(self.active_holds(now, "purchase"))),
            price=self.price_cents / 100,
        )

    def room(self, pool: PoolName, now: datetime, position: int | None = None) -> int:
        """Places of ``pool`` a new hold may take at ``now`` without displacing anyone
        (for ``waitlist_turn``, the one of the person at ``position``)."""
        cap = self.capacity_at(now)
        if pool == "general":
            return unused_places(cap)
        if pool == "waitlist_turn":
            return int(position is not None and turn_has_come(cap, position))
        if pool == "lead_reserved":
            return cap.lead_reserved_open
        return cap.purchasable


def _require(ok: bool, rule: str, message: str) -> None:
    if not ok:
        raise LedgerError(rule, message)


def _known_hold(state: ProgramLedger, event: Event) -> Hold:
    hold = state.holds.get(event.hold_id or "")
    if hold is None:
        raise LedgerError("unknown_hold", f"no open hold {event.hold_id} at this program")
    return hold


def _without(holds: Mapping[str, Hold], hold_id: str) -> dict[str, Hold]:
    return {k: v for k, v in holds.items() if k != hold_id}


def _report(state: ProgramLedger, event: Event) -> ProgramLedger:
    # open_slots None is a report of unknown free places (a directory feed without
    # capacity): no general place is matched until a provider reports a number.
    _require(
        event.open_slots is None or event.open_slots >= 0,
        "non_negative",
        "open_slots must be >= 0",
    )
    waitlist = state.waitlist if event.waitlist is None else event.waitlist
    _require(waitlist >= 0, "non_negative", "waitlist must be >= 0")
    return replace(
        state,
        open_slots=event.open_slots,
        waitlist=waitlist,
        reported_at=event.at,
        enrolled=0,
        ended=0,
        reports=state.reports + 1,
    )


def _place_hold(state: ProgramLedger, event: Event) -> ProgramLedger:
    pool = event.pool
    if event.hold_id is None or event.expires_at is None or pool not in POOL_NAMES:
        raise LedgerError(
            "required", f"a hold needs hold_id, expires_at and a pool of {POOL_NAMES}"
        )
    _require(event.hold_id not in state.holds, "duplicate_hold", "hold id already used")
    _require(event.expires_at > event.at, "expiry_after_start", "a hold must expire later")
    if state.room(pool, event.at, event.position) <= 0:
        why = {
            "general": "no unused place: every free place is held or owed to people waiting",
            "lead_reserved": "no LEAD-reserved place left",
            "purchase": "no place left to buy",
            "waitlist_turn": f"the turn of position {event.position} on the waitlist has not"
            " come: the people ahead are owed the free places",
        }[pool]
        raise LedgerError("no_room", why)
    price = state.price_cents if pool == "purchase" else 0
    hold = Hold(event.hold_id, pool, event.expires_at, price)
    return replace(state, holds={**state.holds, hold.hold_id: hold})


def _release(state: ProgramLedger, event: Event) -> ProgramLedger:
    hold = _known_hold(state, event)
    return replace(state, holds=_without(state.holds, hold.hold_id))


def _confirm(state: ProgramLedger, event: Event) -> ProgramLedger:
    """A referral sent to the provider: the hold runs on to the new expiry."""
    hold = _known_hold(state, event)
    _require(hold.active(event.at), "hold_expired", "the hold has expired")
    if event.expires_at is None:
        raise LedgerError("required", "a confirmation needs the referral's new expiry")
    return replace(
        state,
        holds={**state.holds, hold.hold_id: replace(hold, expires_at=event.expires_at)},
    )


def _enrol(state: ProgramLedger, event: Event) -> ProgramLedger:
    hold = _known_hold(state, event)
    _require(hold.active(event.at), "hold_expired", "the hold has expired")
    holds = _without(state.holds, hold.hold_id)
    if hold.pool == "general":
        return replace(state, holds=holds, enrolled=state.enrolled + 1)
    if hold.pool == "waitlist_turn":
        # The participant took their own turn: one free place fewer, one person fewer
        # waiting, until the provider's next report.
        waitlist = max(0, state.waitlist - 1)
        return replace(state, holds=holds, enrolled=state.enrolled + 1, waitlist=waitlist)
    if hold.pool == "lead_reserved":
        return replace(state, holds=holds, lead_reserved=state.lead_reserved - 1)
    # A bought place is paid for and filled at once.
    return replace(state, holds=holds, purchasable=state.purchasable - 1)


def _end(state: ProgramLedger, event: Event) -> ProgramLedger:
    """A general placement ended: its place is free again until the next report."""
    if event.pool in FREE_PLACE_POOLS or event.pool is None:
        return replace(state, ended=state.ended + 1)
    # A paid-for place that ends stays paid for and returns to the reserved pool.
    return replace(state, lead_reserved=state.lead_reserved + 1)


def _set_purchasable(state: ProgramLedger, event: Event) -> ProgramLedger:
    _require(event.places >= 0, "non_negative", "purchasable must be >= 0")
    _require(event.price_cents >= 0, "non_negative", "price must be >= 0")
    return replace(state, purchasable=event.places, price_cents=event.price_cents)


def _set_reserved(state: ProgramLedger, event: Event) -> ProgramLedger:
    """A statement of paid-for places (an import or an audit correction)."""
    _require(event.places >= 0, "non_negative", "lead_reserved must be >= 0")
    return replace(state, lead_reserved=event.places)


def _purchase(state: ProgramLedger, event: Event) -> ProgramLedger:
    """Places bought ahead of need become LEAD-reserved places."""
    _require(event.places > 0, "positive", "places must be > 0")
    _require(
        event.places <= state.room("purchase", event.at),
        "no_room",
        "more places than the program offers to sell",
    )
    return replace(
        state,
        purchasable=state.purchasable - event.places,
        lead_reserved=state.lead_reserved + event.places,
    )


_APPLY = {
    EventKind.REPORTED: _report,
    EventKind.HOLD_PLACED: _place_hold,
    EventKind.HOLD_RELEASED: _release,
    EventKind.HOLD_EXPIRED: _release,
    EventKind.REFERRAL_CONFIRMED: _confirm,
    EventKind.HOLD_EXTENDED: _confirm,  # an accepted offer: the same hold, a new expiry
    EventKind.ENROLLED: _enrol,
    EventKind.PLACEMENT_ENDED: _end,
    EventKind.PURCHASABLE_SET: _set_purchasable,
    EventKind.RESERVED_SET: _set_reserved,
    EventKind.PLACES_PURCHASED: _purchase,
}


def apply(state: ProgramLedger, event: Event) -> ProgramLedger:
    """The state after ``event``; raises ``LedgerError`` when the state forbids it."""
    return replace(_APPLY[event.kind](state, event), version=state.version + 1)


def fold(events: Iterable[Event], start: ProgramLedger | None = None) -> ProgramLedger:
    """Replay events from an empty ledger (or ``start``)."""
    state = start or ProgramLedger()
    for event in events:
        state = apply(state, event)
    return state


FREEING: frozenset[EventKind] = frozenset(
    {EventKind.HOLD_RELEASED, EventKind.HOLD_EXPIRED, EventKind.PLACEMENT_ENDED}
)
"""Events that give a place back whatever the counts say (an expired hold stopped
counting at its expiry, before the event that records it)."""


def appeared(before: ProgramLedger, after: ProgramLedger, event: Event) -> bool:
    """Whether ``event`` made capacity appear: a place given back, more room in any
    pool at the event's time, more free places not held (someone's waitlist turn may
    have come) or a shorter waitlist. What LEAD's queue is re-solved for."""
    if event.kind in FREEING:
        return True
    if event.kind is EventKind.HOLD_PLACED:
        return False
    at = event.at
    rooms = [(before.room(p, at), after.room(p, at)) for p in POOL_NAMES if p != "waitlist_turn"]
    return (
        any(b < a for b, a in rooms)
        or _unheld(after, at) > _unheld(before, at)
        or after.waitlist < before.waitlist
    )


def _unheld(state: ProgramLedger, at: datetime) -> int:
    cap = state.capacity_at(at)
    return (cap.open_slots or 0) - cap.held


def expired(state: ProgramLedger, now: datetime) -> list[Hold]:
    """Holds past their expiry that have not been recorded as expired yet."""
    return [h for h in state.holds.values() if not h.active(now)]
