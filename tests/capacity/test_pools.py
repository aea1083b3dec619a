"""Capacity pools: non-displacement (general places are only the unused ones) and funding."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.capacity.pools import Pool, free_places, pools_of, unused_places
from matcher.scenario import Capacity, Program, parse_scenario
from tests.builders import make_program, make_scenario_json


def capacity(**fields: Any) -> Capacity:
    return Capacity.model_validate(fields)


def programs(*items: dict[str, Any]) -> list[Program]:
    return list(parse_scenario(make_scenario_json(list(items))).programs)


# (id, capacity fields, expected general places)
GENERAL: list[tuple[str, dict[str, Any], int]] = [
    ("nobody_waiting", {"open_slots": 3, "waitlist": 0}, 3),
    ("one_unused_beyond_waitlist", {"open_slots": 4, "waitlist": 3}, 1),
    ("waitlist_takes_every_free_place", {"open_slots": 3, "waitlist": 3}, 0),
    ("waitlist_longer_than_free_places", {"open_slots": 2, "waitlist": 9}, 0),
    ("held_places_are_not_free", {"open_slots": 2, "held": 2, "waitlist": 0}, 0),
    ("held_and_waitlist_both_count", {"open_slots": 6, "held": 1, "waitlist": 2}, 3),
    ("no_places_at_all", {"open_slots": 0, "waitlist": 0}, 0),
    ("unknown_open_slots", {"waitlist": 0}, 0),
    ("unknown_open_slots_with_waitlist", {"waitlist": 4}, 0),
    (
        "reserved_places_are_not_general",
        {"open_slots": 0, "waitlist": 0, "lead_reserved_open": 2},
        0,
    ),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [r[1:] for r in GENERAL], ids=[r[0] for r in GENERAL]
)
def test_general_places_are_free_places_beyond_held_and_waitlist(
    fields: dict[str, Any], expected: int
) -> None:
    assert unused_places(capacity(**fields)) == expected


def test_no_general_place_when_waitlist_takes_every_free_place() -> None:
    assert unused_places(capacity(open_slots=3, waitlist=3)) == 0
    assert free_places(capacity(open_slots=3, waitlist=3)) == 3


def test_unknown_capacity_gives_no_place_of_any_kind_but_what_was_paid_for() -> None:
    (program,) = programs(make_program(capacity={"waitlist": 0, "lead_reserved_open": 1}))
    pools = pools_of([program])
    assert (pools.general[0], pools.free[0], pools.lead_reserved[0]) == (0, 0, 1)


def test_free_places_ignore_the_waitlist_but_not_held_places() -> None:
    assert free_places(capacity(open_slots=5, held=2, waitlist=9)) == 3
    assert free_places(capacity(waitlist=1)) == 0


@pytest.mark.parametrize(
    "barrier",
    [
        "excludes_active_use",
        "excludes_sex_work",
        "excludes_criminal_history",
        "requires_religious_participation",
        "conversion_therapy",
    ],
)
def test_no_purchase_at_a_program_with_a_barrier(barrier: str) -> None:
    (program,) = programs(
        make_program(
            capacity={"open_slots": 0, "waitlist": 0, "purchasable": 3, "price": 100.0},
            barriers={barrier: True},
        )
    )
    pools = pools_of([program])
    assert not program.fundable
    assert (pools.purchase[0], bool(pools.fundable[0])) == (0, False)


def test_purchase_up_to_purchasable_at_a_fundable_program() -> None:
    cap = {"open_slots": 0, "waitlist": 0, "purchasable": 3, "price": 250.5}
    (program,) = programs(make_program(capacity=cap, barriers={"excludes_active_use": False}))
    pools = pools_of([program])
    assert program.fundable
    assert (pools.purchase[0], pools.price[0]) == (3, 250.5)


def test_reserved_places_count_apart_from_open_slots() -> None:
    cap = {"open_slots": 2, "waitlist": 2, "lead_reserved_open": 1}
    (program,) = programs(make_program(capacity=cap))
    pools = pools_of([program])
    assert (pools.general[0], pools.lead_reserved[0]) == (0, 1)


def test_pool_columns_follow_program_order() -> None:
    items = [
        make_program(id="a", capacity={"open_slots": 5, "waitlist": 1}),
        make_program(id="b", capacity={"open_slots": 1, "waitlist": 3, "purchasable": 2}),
        make_program(id="c", capacity={"waitlist": 0, "lead_reserved_open": 4}),
    ]
    pools = pools_of(programs(*items))
    assert pools.size(Pool.GENERAL).tolist() == [4, 0, 0]
    assert pools.size(Pool.LEAD_RESERVED).tolist() == [0, 0, 4]
    assert pools.size(Pool.PURCHASE).tolist() == [0, 2, 0]
    assert pools.owed().tolist() == [False, True, False]


def test_pool_labels_are_the_contracts() -> None:
    assert [p.label for p in Pool] == ["general", "lead_reserved", "purchase", "waitlist_turn"]


@given(
    open_slots=st.none() | st.integers(0, 50),
    held=st.integers(0, 50),
    waitlist=st.integers(0, 50),
)
def test_general_places_never_exceed_what_the_waitlist_leaves(
    open_slots: int | None, held: int, waitlist: int
) -> None:
    held = min(held, open_slots or 0)
    cap = capacity(open_slots=open_slots, held=held, waitlist=waitlist)
    general = unused_places(cap)
    assert general == max(0, (open_slots or 0) - held - waitlist)
    assert 0 <= general <= free_places(cap)
    assert general + waitlist >= free_places(cap)
