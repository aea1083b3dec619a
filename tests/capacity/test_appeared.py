"""Which ledger events make capacity appear (what LEAD's queue is re-solved for)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matcher.capacity.ledger import Event, EventKind, ProgramLedger, appeared, apply, fold

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def report(open_slots: int, waitlist: int, at: datetime = T0) -> Event:
    return Event(EventKind.REPORTED, at, "provider", open_slots=open_slots, waitlist=waitlist)


def hold(hold_id: str = "h-1") -> Event:
    return Event(
        EventKind.HOLD_PLACED,
        T0,
        "cm",
        hold_id=hold_id,
        pool="general",
        expires_at=T0 + timedelta(hours=1),
    )


def release(kind: EventKind = EventKind.HOLD_RELEASED) -> Event:
    return Event(kind, T0, "cm", hold_id="h-1")


@pytest.mark.parametrize(
    ("start", "event", "expected"),
    [
        ([report(2, 0)], report(3, 0), True),
        ([report(2, 0)], report(1, 0), False),
        ([report(2, 0)], report(2, 0), False),
        ([report(1, 3)], report(1, 2), True),
        ([report(1, 3)], report(2, 3), True),
        ([report(2, 0)], hold(), False),
        ([report(2, 0), hold()], release(), True),
        ([report(2, 0), hold()], release(EventKind.HOLD_EXPIRED), True),
        (
            [report(2, 0), Event(EventKind.PURCHASABLE_SET, T0, "fund", places=2)],
            Event(EventKind.PLACES_PURCHASED, T0, "fund", places=1),
            True,
        ),
        ([report(2, 0)], Event(EventKind.PURCHASABLE_SET, T0, "fund", places=2), True),
        ([report(2, 0)], Event(EventKind.RESERVED_SET, T0, "fund", places=1), True),
    ],
    ids=[
        "more-places",
        "fewer-places",
        "same-report",
        "shorter-waitlist",
        "a-turn-comes",
        "hold",
        "release",
        "expiry",
        "places-bought-ahead",
        "places-to-buy",
        "places-reserved",
    ],
)
def test_capacity_appears(start: list[Event], event: Event, expected: bool) -> None:
    before = fold(start, ProgramLedger())
    after = apply(before, event)
    assert appeared(before, after, event) is expected
