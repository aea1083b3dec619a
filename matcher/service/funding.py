"""Funders' views of the live store: unmet need and the fund, counts only, suppressed.

Every table here goes through ``matcher.funding.suppression``: no count from 1 to 10
is shown, nor any cell from which one could be worked out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlmodel import Session, col, func, select

from matcher.assignment import build_assignment
from matcher.funding.gaps import gap_table, unmet_frame
from matcher.funding.suppression import SuppressedTable, suppress
from matcher.service.errors import Invalid
from matcher.service.matching import REFERRED_STATUSES
from matcher.solver.solve import SolverOptions, solve
from matcher.store import tables as t
from matcher.store.snapshot import available_budget_cents, export_scenario

DIMENSIONS = ("category", "neighborhood", "reason")


@dataclass(frozen=True, slots=True)
class CountTable:
    """A suppressed table as plain lists: ``None`` where a cell is suppressed."""

    rows: list[str]
    columns: list[str]
    cells: list[list[int | None]]
    suppressed_cells: int


def table_of(table: SuppressedTable) -> CountTable:
    """Plain lists from a suppressed table (totals included as the last row/column)."""
    shown = table.shown
    cells = [[None if pd.isna(v) else int(v) for v in row] for row in shown.itertuples(index=False)]
    return CountTable(
        rows=[str(i) for i in shown.index],
        columns=[str(c) for c in shown.columns],
        cells=cells,
        suppressed_cells=table.primary + table.complementary,
    )


def unmet_need(
    session: Session, now: datetime, *, rows: str, columns: str, time_limit: float
) -> CountTable:
    """Unmet needs of all active participants now, ``rows`` x ``columns`` (any two of
    category, neighbourhood, reason), after the best assignment the solver finds."""
    for name, value in (("rows", rows), ("columns", columns)):
        if value not in DIMENSIONS:
            raise Invalid("enum", f"{name} must be one of {', '.join(DIMENSIONS)}", field=name)
    if rows == columns:
        raise Invalid("distinct", "rows and columns must differ", field="columns")
    scenario = export_scenario(session, now)
    referred = set(
        session.exec(
            select(t.Referral.need_id).where(col(t.Referral.status).in_(REFERRED_STATUSES))
        )
    )
    scenario = scenario.model_copy(
        update={
            "participants": [
                p.model_copy(update={"needs": [n for n in p.needs if n.id not in referred]})
                for p in scenario.participants
            ]
        }
    )
    answer = build_assignment(solve(scenario, SolverOptions(time_limit=time_limit)))
    frame = unmet_frame(scenario, answer)
    if frame.empty:
        return CountTable(rows=[], columns=[], cells=[], suppressed_cells=0)
    return table_of(gap_table(frame, rows, columns))


@dataclass(frozen=True, slots=True)
class FundView:
    """The fund: balance, what live holds reserve, and places bought per service type."""

    balance: float
    reserved: float
    available: float
    spent: float
    purchases: CountTable


def fund(session: Session, now: datetime) -> FundView:
    """The fund's money and its purchases (places per service category, suppressed)."""
    row = session.get(t.Fund, 1)
    balance = row.balance_cents if row else 0
    available = available_budget_cents(session, now)
    spent = session.exec(select(func.coalesce(func.sum(t.Purchase.price_cents), 0))).one()
    bought = session.exec(
        select(t.Program.service_types, t.Purchase.places).join(
            t.Program,
            t.Program.id == t.Purchase.program_id,  # type: ignore[arg-type]
        )
    ).all()
    counts: dict[str, int] = {}
    for types, places in bought:
        category = types[0].split(".")[0]
        counts[category] = counts.get(category, 0) + places
    table = (
        table_of(suppress(pd.DataFrame({"places": counts}).astype("int64")))
        if counts
        else CountTable(rows=[], columns=[], cells=[], suppressed_cells=0)
    )
    return FundView(
        balance=balance / 100,
        reserved=(balance - available) / 100,
        available=available / 100,
        spent=int(spent) / 100,
        purchases=table,
    )
