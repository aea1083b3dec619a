"""Money into the fund: a top-up by a funder or an admin.

A top-up is an append-only ``fund_top_up`` row and the fund's balance raised by its
amount, in one transaction. The balance moves by a conditional update
(``balance_cents = balance_cents + cents`` where the result still fits the column),
so any number of top-ups at once each add exactly their amount. New money can buy
places, so the top-up leaves a capacity signal at every program that sells places
to the fund: the queue's re-solve then offers the places the money buys (the
budget links every such program, ``matcher.part``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from matcher.scenario import MAX_AMOUNT
from matcher.service.audit import note
from matcher.service.errors import Conflict, Invalid
from matcher.store import tables as t

MAX_NOTE = 500
SIGNAL = "fund_top_up"


@dataclass(frozen=True, slots=True)
class TopUp:
    """One top-up as people read it: amount in dollars."""

    id: int
    at: datetime
    amount: float
    actor: str
    note: str


CENT_TOLERANCE = 0.05
"""How far from a whole number of cents an amount may be (float error only)."""


def check_amount(amount: float) -> int:
    """The amount in whole cents, or ``Invalid`` naming ``amount`` and the rule."""
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
        raise Invalid("number", "amount must be a finite number", field="amount")
    if amount > MAX_AMOUNT:
        raise Invalid("range", f"amount must be at most {MAX_AMOUNT:,.0f}", field="amount")
    exact = amount * 100
    cents = round(exact)
    # A fraction of a cent is a typo, not a gift to round away. The tolerance is far
    # above a float's error on any amount up to MAX_AMOUNT (under 0.02 of a cent), and
    # far below the half cent a typo such as 10.005 is off by.
    if abs(exact - cents) > CENT_TOLERANCE:
        raise Invalid("whole_cents", "amount must be whole cents (two decimals)", field="amount")
    if cents <= 0:
        raise Invalid("positive", "amount must be at least 0.01", field="amount")
    return cents


def top_up(session: Session, amount: float, note_text: str, actor: str, now: datetime) -> TopUp:
    """Add ``amount`` dollars to the fund (409 ``balance_limit`` when the balance would
    pass what it can hold); returns the stored top-up."""
    note(session, "fund.top_up")
    cents = check_amount(amount)
    text = note_text.strip()
    if len(text) > MAX_NOTE:
        raise Invalid("too_long", f"note must be at most {MAX_NOTE} characters", field="note")
    _ensure_fund(session)
    if cents > t.MAX_BALANCE_CENTS:  # (the database would not hold the sum either)
        raise _beyond_limit()
    raised = session.execute(
        update(t.Fund)
        .where(col(t.Fund.id) == 1, col(t.Fund.balance_cents) <= t.MAX_BALANCE_CENTS - cents)
        .values(balance_cents=col(t.Fund.balance_cents) + cents, version=col(t.Fund.version) + 1)
    )
    if raised.rowcount != 1:  # type: ignore[attr-defined]
        raise _beyond_limit()
    row = t.FundTopUp(at=now, cents=cents, actor=actor, note=text)
    session.add(row)
    selling = session.exec(
        select(t.ProgramCapacity.program_id).where(t.ProgramCapacity.purchasable > 0)
    ).all()
    for program_id in selling:
        session.add(t.CapacitySignal(program_id=program_id, kind=SIGNAL, at=now))
    session.flush()
    return _view(row)


def _beyond_limit() -> Conflict:
    return Conflict(
        "balance_limit",
        f"the balance may not exceed {t.MAX_BALANCE_CENTS / 100:,.2f}",
        field="amount",
    )


def _ensure_fund(session: Session) -> None:
    """The fund's one row exists (a store that never imported a scenario has none)."""
    if session.get(t.Fund, 1) is not None:
        return
    try:
        with session.begin_nested():
            session.add(t.Fund(id=1, balance_cents=0))
    except IntegrityError:  # another top-up made it first
        pass


def top_ups(session: Session, limit: int = 100) -> list[TopUp]:
    """The newest top-ups first."""
    rows = session.exec(
        select(t.FundTopUp)
        .order_by(col(t.FundTopUp.at).desc(), col(t.FundTopUp.id).desc())
        .limit(limit)
    ).all()
    return [_view(r) for r in rows]


def _view(row: t.FundTopUp) -> TopUp:
    return TopUp(id=row.id or 0, at=row.at, amount=row.cents / 100, actor=row.actor, note=row.note)
