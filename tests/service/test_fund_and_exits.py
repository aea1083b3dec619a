"""Top-ups of the fund: the balance and the append-only rows move together, a bad
amount is refused naming the field, and top-ups at once each add exactly their amount;
exits and returns are recorded once each, even when sent at once (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, delete
from sqlmodel import select

from matcher.scenario import MAX_AMOUNT, Participant
from matcher.service import fund, offers, participants
from matcher.service.errors import Conflict, Invalid
from matcher.store import tables as t
from tests.builders import make_program
from tests.service.world import CM, NOW, person, program, race, run, seed

ROUNDS = 5


def _balance(engine: Engine) -> int:
    return run(engine, lambda s: s.get(t.Fund, 1).balance_cents)  # type: ignore[union-attr]


def test_a_top_up_raises_the_balance_once_and_signals_programs_that_sell_places(
    engine: Engine,
) -> None:
    seed(
        engine,
        [
            program("g-1"),
            make_program(
                id="g-2",
                capacity={"open_slots": 0, "waitlist": 0, "purchasable": 2, "price": 300.0},
            ),
        ],
        [person("x-1")],
    )
    before = _balance(engine)
    made = run(engine, lambda s: fund.top_up(s, 1250.5, " quarterly grant ", "funder-ann", NOW))
    assert (made.amount, made.note, made.actor, made.at) == (
        1250.5,
        "quarterly grant",
        "funder-ann",
        NOW,
    )
    assert _balance(engine) == before + 125_050
    rows = run(engine, lambda s: list(s.exec(select(t.FundTopUp))))
    assert [(r.cents, r.actor) for r in rows] == [(125_050, "funder-ann")]
    signals = run(engine, lambda s: list(s.exec(select(t.CapacitySignal))))
    top_up_signals = [x.program_id for x in signals if x.kind == "fund_top_up"]
    assert top_up_signals == ["g-2"]
    assert run(engine, fund.top_ups)[0].amount == 1250.5


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        (0.0, "positive"),
        (-5.0, "positive"),
        (0.001, "whole_cents"),
        (10.005, "whole_cents"),
        (float("nan"), "number"),
        (float("inf"), "number"),
        (2e12, "range"),
    ],
)
def test_a_bad_amount_is_refused_naming_the_field(engine: Engine, amount: float, rule: str) -> None:
    seed(engine, [program("g-1")], [])
    with pytest.raises(Invalid) as refused:
        run(engine, lambda s: fund.top_up(s, amount, "", "admin", NOW))
    assert (refused.value.field, refused.value.rule) == ("amount", rule)
    assert run(engine, lambda s: list(s.exec(select(t.FundTopUp)))) == []


def test_the_balance_never_passes_what_the_column_holds(engine: Engine) -> None:
    seed(engine, [program("g-1")], [])
    run(engine, lambda s: fund.top_up(s, 1.0, "", "admin", NOW))
    with pytest.raises(Conflict) as refused:
        run(engine, lambda s: fund.top_up(s, t.MAX_BALANCE_CENTS / 100, "", "admin", NOW))
    assert refused.value.rule == "balance_limit"
    assert _balance(engine) == 100


def test_a_store_without_a_fund_row_gets_one(engine: Engine) -> None:
    run(engine, lambda s: fund.top_up(s, 10, "", "admin", NOW))
    assert _balance(engine) == 1000


def test_top_ups_at_once_each_add_their_amount(engine: Engine) -> None:
    seed(engine, [program("g-1")], [])
    start = _balance(engine)
    for r in range(ROUNDS):
        outcomes = race(
            [
                partial(
                    run,
                    engine,
                    partial(
                        fund.top_up, amount=float(k + 1), note_text=f"r{r}", actor="admin", now=NOW
                    ),
                )
                for k in range(8)
            ]
        )
        assert outcomes == ["ok"] * 8, (r, outcomes)
    rows = run(engine, lambda s: list(s.exec(select(t.FundTopUp))))
    assert len(rows) == 8 * ROUNDS
    assert (
        _balance(engine)
        == start + ROUNDS * sum(range(1, 9)) * 100
        == start + sum(r.cents for r in rows)
    )


def test_an_exit_and_a_return_are_recorded_with_the_change(engine: Engine) -> None:
    seed(engine, [program("g-1")], [person("x-1")])
    body = run(engine, lambda s: participants.get(s, CM, "x-1"))
    run(engine, lambda s: participants.update(s, CM, body, NOW, active=False))
    run(engine, lambda s: participants.update(s, CM, body, NOW, active=False))  # no change
    run(engine, lambda s: participants.update(s, CM, body, NOW))  # active not given
    run(engine, lambda s: participants.update(s, CM, body, NOW, active=True))
    rows = run(engine, lambda s: list(s.exec(select(t.ParticipantActivity))))
    assert [(r.participant_id, r.active, r.actor, r.at) for r in rows] == [
        ("x-1", False, CM, NOW),
        ("x-1", True, CM, NOW),
    ]


def test_the_re_solve_offers_a_place_the_top_up_can_buy(engine: Engine) -> None:
    selling = {"open_slots": 0, "waitlist": 0, "purchasable": 1, "price": 40.0}
    seed(engine, [make_program(id="g-2", capacity=selling)], [person("x-1")])
    run(engine, lambda s: s.execute(delete(t.CapacitySignal)))

    def resolve(force: bool = False) -> offers.Resolved:
        return run(
            engine,
            lambda s: offers.resolve(
                s,
                NOW,
                offer_for=timedelta(hours=24),
                time_limit=10,
                default_max_distance_km=None,
                force=force,
            ),
        )

    assert resolve(force=True).offered == []  # no money, no place to offer
    run(engine, lambda s: fund.top_up(s, 50.0, "", "funder", NOW))
    done = resolve()
    assert done.signals == 1
    made = run(engine, lambda s: [s.get(t.Referral, r) for r in done.offered])
    assert [(r.need_id, r.program_id, r.pool, r.status) for r in made if r] == [
        ("x-1-0", "g-2", "purchase", "offered")
    ]


def test_an_amount_beyond_what_the_balance_holds_is_a_conflict(engine: Engine) -> None:
    seed(engine, [program("g-1")], [])
    with pytest.raises(Conflict) as refused:
        run(engine, lambda s: fund.top_up(s, 1e12, "", "admin", NOW))
    assert (refused.value.rule, refused.value.field) == ("balance_limit", "amount")


def test_simultaneous_exits_of_one_participant_record_one_exit(engine: Engine) -> None:
    seed(engine, [program("g-1")], [person(f"x-{r}") for r in range(ROUNDS)])
    for r in range(ROUNDS):
        pid = f"x-{r}"
        body = run(engine, lambda s: participants.get(s, CM, pid))  # noqa: B023

        def leave(body: Participant = body) -> None:
            run(engine, lambda s: participants.update(s, CM, body, NOW, active=False))

        outcomes = race([leave for _ in range(6)])
        assert outcomes == ["ok"] * 6, (r, outcomes)
        rows = run(
            engine,
            lambda s: list(
                s.exec(
                    select(t.ParticipantActivity).where(
                        t.ParticipantActivity.participant_id == pid  # noqa: B023
                    )
                )
            ),
        )
        assert [x.active for x in rows] == [False], r


def test_top_ups_at_once_on_a_store_without_a_fund_row_make_one_row(engine: Engine) -> None:
    outcomes = race(
        [
            partial(
                run,
                engine,
                partial(fund.top_up, amount=2.0, note_text="", actor="admin", now=NOW),
            )
            for _ in range(5)
        ]
    )
    assert outcomes == ["ok"] * 5
    assert run(engine, lambda s: len(list(s.exec(select(t.Fund))))) == 1
    assert _balance(engine) == 1000


@given(st.integers(min_value=1, max_value=int(MAX_AMOUNT * 100)))
def test_every_whole_cent_amount_is_taken_as_exactly_its_cents(cents: int) -> None:
    """Any amount written with two decimals (as a JSON number arrives: the nearest
    float) is accepted, and counted as exactly the cents written."""
    assert fund.check_amount(float(f"{cents // 100}.{cents % 100:02d}")) == cents


@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=1, max_value=9),
)
def test_a_fraction_of_a_cent_is_refused(cents: int, tenths: int) -> None:
    amount = float(f"{cents // 100}.{cents % 100:02d}{tenths}")
    with pytest.raises(Invalid) as refused:
        fund.check_amount(amount)
    assert refused.value.rule == "whole_cents"
