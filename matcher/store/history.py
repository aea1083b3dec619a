"""What the store recorded over a window, read for a replay (``matcher.simulate.replay``):
programs and their ledger events, participants with their exits and returns and their
plans, and the fund's money. Read in the caller's (read-only) transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from matcher.capacity.ledger import Event
from matcher.store import tables as t
from matcher.store.ledger import event_of
from matcher.store.snapshot import MATCHABLE, declined_of, plans_of


@dataclass(frozen=True)
class History:
    """Rows as stored; ``events`` per program in their order, ``changes`` per participant
    in time order. Money in cents: the balance now, what top-ups added and purchases
    paid since the window's start, and the top-ups inside the window."""

    programs: list[t.Program]
    events: dict[str, list[Event]]
    participants: list[t.Participant]
    changes: dict[str, list[t.ParticipantActivity]]
    plans: dict[str, list[t.PlanNeed]]
    declined: dict[str, list[str]]
    balance: int
    added_since: int
    paid_since: int
    top_ups: list[t.FundTopUp]


def read_history(session: Session, start: datetime, end: datetime) -> History:
    """Everything a replay of ``[start, end)`` reads (participants created before ``end``)."""
    programs = list(session.exec(select(t.Program).where(MATCHABLE).order_by(col(t.Program.id))))
    events: dict[str, list[Event]] = {r.id: [] for r in programs}
    query = select(t.CapacityEvent).order_by(
        col(t.CapacityEvent.program_id), col(t.CapacityEvent.version)
    )
    for row in session.exec(query):
        if row.program_id in events:
            events[row.program_id].append(event_of(row))
    people = list(
        session.exec(
            select(t.Participant)
            .where(t.Participant.created_at < end)
            .order_by(col(t.Participant.id))
        )
    )
    changes: dict[str, list[t.ParticipantActivity]] = defaultdict(list)
    for change in session.exec(
        select(t.ParticipantActivity)
        .where(t.ParticipantActivity.at < end)
        .order_by(col(t.ParticipantActivity.at), col(t.ParticipantActivity.id))
    ):
        changes[change.participant_id].append(change)
    ids = [r.id for r in people]
    fund = session.get(t.Fund, 1)
    added = session.exec(
        select(func.coalesce(func.sum(t.FundTopUp.cents), 0)).where(t.FundTopUp.at >= start)
    ).one()
    paid = session.exec(
        select(func.coalesce(func.sum(t.Purchase.price_cents), 0)).where(t.Purchase.at >= start)
    ).one()
    top_ups = session.exec(
        select(t.FundTopUp)
        .where(t.FundTopUp.at >= start, t.FundTopUp.at < end)
        .order_by(col(t.FundTopUp.at), col(t.FundTopUp.id))
    ).all()
    return History(
        programs=programs,
        events=events,
        participants=people,
        changes=dict(changes),
        plans=plans_of(session, ids),
        declined=declined_of(session, ids),
        balance=fund.balance_cents if fund else 0,
        added_since=int(added),
        paid_since=int(paid),
        top_ups=list(top_ups),
    )
