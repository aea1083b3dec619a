"""Funders' views of the live store: unmet need and the fund, counts only, suppressed.

Every table here goes through ``matcher.funding.suppression``: no count from 1 to 10
is shown, nor any cell from which one could be worked out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd
from sqlmodel import Session, col, func, select

from matcher.assignment import build_assignment
from matcher.funding.gaps import gap_table, unmet_frame
from matcher.funding.impact import Change, ChangeInvalid, gains_for, impact, impact_table
from matcher.funding.neighborhoods import participant_neighborhoods
from matcher.funding.planner import Plan, compare
from matcher.funding.rollup import LADDER, readable
from matcher.funding.suppression import SuppressedTable, suppress
from matcher.funding.unspent import why_unspent
from matcher.reasons import CAPACITY_UNKNOWN
from matcher.scenario import Scenario, category_of
from matcher.service.errors import Invalid
from matcher.service.matching import REFERRED_STATUSES
from matcher.service.queue import waiting_needs
from matcher.solver.solve import SolverOptions, solve
from matcher.store import tables as t
from matcher.store.snapshot import available_budget_cents, export_scenario

DIMENSIONS = ("category", "neighborhood", "reason", "action", "rule")


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


def _empty() -> CountTable:
    return CountTable(rows=[], columns=[], cells=[], suppressed_cells=0)


def unmet_now(session: Session, now: datetime, time_limit: float) -> pd.DataFrame:
    """One row per unmet need of the active participants now, after the best assignment
    the solver finds (``matcher.funding.gaps.unmet_frame``)."""
    scenario = live_scenario(session, now)
    answer = build_assignment(solve(scenario, SolverOptions(time_limit=time_limit)))
    return unmet_frame(scenario, answer)


def _counts(frame: pd.DataFrame, rows: str, columns: str) -> CountTable:
    if "rule" in (rows, columns):  # which rule keeps out the needs no program would take
        frame = frame[(frame["reason"] == "not_eligible") & (frame["blocked_most"] != "")]
        frame = frame.rename(columns={"blocked_most": "rule"})
    if frame.empty:
        return _empty()
    return table_of(gap_table(frame, rows, columns))


def unmet_need(
    session: Session, now: datetime, *, rows: str, columns: str, time_limit: float
) -> CountTable:
    """Unmet needs of all active participants now, ``rows`` x ``columns`` (any two of
    category, neighbourhood, reason, action, rule), after the best assignment the solver
    finds. ``action`` is what would help (``matcher.funding.gaps.ACTIONS``): needs whose
    programs never reported are counted as "ask the providers to report", never as places
    to buy. ``rule`` counts only needs that no program would take, by the rule that
    excludes the person from most programs of the type."""
    for name, value in (("rows", rows), ("columns", columns)):
        if value not in DIMENSIONS:
            raise Invalid("enum", f"{name} must be one of {', '.join(DIMENSIONS)}", field=name)
    if rows == columns:
        raise Invalid("distinct", "rows and columns must differ", field="columns")
    return _counts(unmet_now(session, now, time_limit), rows, columns)


@dataclass(frozen=True, slots=True)
class UnmetSplit:
    """Unmet needs by service category and neighbourhood, in two tables: those that
    places, money or rules could meet, and those waiting on providers' reports."""

    unmet: CountTable
    unreported: CountTable


def unmet_by_neighborhood(session: Session, now: datetime, *, time_limit: float) -> UnmetSplit:
    """Category x neighbourhood of the unmet needs now, with ``capacity_unknown`` apart:
    a need no eligible program has reported places for asks the providers to report; it
    is not a place to buy. One solve serves both tables."""
    frame = unmet_now(session, now, time_limit)
    waiting = frame["reason"] == CAPACITY_UNKNOWN
    return UnmetSplit(
        _counts(frame[~waiting], "category", "neighborhood"),
        _counts(frame[waiting], "category", "neighborhood"),
    )


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
        category = category_of(types[0])
        counts[category] = counts.get(category, 0) + places
    table = (
        table_of(suppress(pd.DataFrame({"places": counts}).astype("int64"))) if counts else _empty()
    )
    return FundView(
        balance=balance / 100,
        reserved=(balance - available) / 100,
        available=available / 100,
        spent=int(spent) / 100,
        purchases=table,
    )


def live_scenario(session: Session, now: datetime) -> Scenario:
    """All programs and active participants now, without needs already referred: what
    every funder's figure is computed from (pages, API and command line alike)."""
    scenario = export_scenario(session, now)
    referred = set(
        session.exec(
            select(t.Referral.need_id).where(col(t.Referral.status).in_(REFERRED_STATUSES))
        )
    )
    return scenario.model_copy(
        update={
            "participants": [
                p.model_copy(update={"needs": [n for n in p.needs if n.id not in referred]})
                for p in scenario.participants
            ]
        }
    )


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """One plan's totals (money and counts of needs; a count of 1-10 is None)."""

    method: str
    spend: float
    needs_met: int | None
    acute_met: int | None
    per_thousand: float | None
    status: str


@dataclass(frozen=True, slots=True)
class PlanView:
    """The exact plan beside the naive one, and where the exact plan's places would go."""

    budget: float
    exact: PlanSummary
    naive: PlanSummary
    purchases: list[dict[str, object]]
    met: CountTable
    unspent: float = 0.0
    why_unspent: list[str] = field(default_factory=list)


def _small(count: int) -> int | None:
    return None if 1 <= count <= 10 else count


def _summary(plan: Plan) -> PlanSummary:
    hidden = 1 <= plan.needs_met <= 10
    return PlanSummary(
        method=plan.method,
        spend=plan.spend,
        needs_met=_small(plan.needs_met),
        acute_met=_small(plan.acute_met),  # at most needs_met: 0 or hidden when that is
        per_thousand=None if hidden else plan.per_thousand,
        status=plan.status,
    )


def plan(
    session: Session,
    now: datetime,
    *,
    budget: float,
    time_limit: float,
    districts: Mapping[str, str] | None = None,
) -> PlanView:
    """Where ``budget`` of new money should buy places, from the live store. With
    ``districts``, the table of needs the plan would meet is rolled up until readable
    (``matcher.funding.rollup``); the plan says why it leaves money unspent."""
    if budget < 0:
        raise Invalid("non_negative", "budget must be >= 0", field="budget")
    scenario = live_scenario(session, now)
    comparison = compare(scenario, budget, time_limit)
    hoods = participant_neighborhoods(scenario)
    rows = [(m.category, hoods[m.participant_id]) for m in comparison.exact.met]
    met = _empty()
    if rows:
        frame = pd.DataFrame(rows, columns=["category", "neighborhood"])
        if districts is not None:
            ladder = [s for s in LADDER if s[0] == "category"]
            met = table_of(readable(frame, districts, ladder).table)
        else:
            counts = frame.groupby(["category", "neighborhood"]).size().unstack(fill_value=0)
            counts.index.name = counts.columns.name = None
            met = table_of(suppress(counts.astype("int64")))
    purchases: list[dict[str, object]] = [
        {"program_id": b.program_id, "places": b.places, "price": b.price, "spend": b.spend}
        for b in comparison.exact.purchases
    ]
    exact = comparison.exact
    unspent = round(budget - exact.spend, 2)
    return PlanView(
        budget,
        _summary(exact),
        _summary(comparison.naive),
        purchases,
        met,
        unspent,
        why_unspent(exact) if unspent >= 0.01 else [],
    )


@dataclass(frozen=True, slots=True)
class ImpactView:
    """A change's effect for a funder: today's total, the net gain (None if 1-10)."""

    change: str
    needs_met_now: int
    net_gain: int | None
    acute_net_gain: int | None
    gained: CountTable


def change_impact(session: Session, now: datetime, change: Change, time_limit: float) -> ImpactView:
    """What one program's change would do, for funders (suppressed)."""
    try:
        result = impact(live_scenario(session, now), change, time_limit)
    except ChangeInvalid as err:
        raise Invalid("change", err.message, field=err.field) from err
    table = impact_table(result)
    return ImpactView(
        change=change.describe(),
        needs_met_now=result.before.objective.matched,
        net_gain=_small(result.net),
        acute_net_gain=None if _small(result.net) is None else _small(result.net_acute),
        gained=table_of(table) if table is not None else _empty(),
    )


def own_gains(
    session: Session, case_manager_id: str, now: datetime, change: Change, time_limit: float
) -> dict[str, list[str]]:
    """For a case manager: which of their own participants would gain, and which needs."""
    try:
        result = impact(live_scenario(session, now), change, time_limit)
    except ChangeInvalid as err:
        raise Invalid("change", err.message, field=err.field) from err
    mine = set(
        session.exec(
            select(t.Participant.id).where(t.Participant.case_manager_id == case_manager_id)
        )
    )
    return gains_for(result, mine)


TREND_KINDS = {
    "hold_placed": "holds",
    "enrolled": "enrolments",
    "hold_expired": "holds expired",
    "placement_ended": "placements ended",
    "places_purchased": "places bought ahead",
}


def trends(session: Session, now: datetime, *, days: int) -> CountTable:
    """What happened to capacity per ISO week over the last ``days`` days, from the
    ledger: holds, enrolments, expiries, placements ended, places bought (suppressed)."""
    if not 1 <= days <= 731:
        raise Invalid("range", "days must be between 1 and 731", field="days")
    since = now - timedelta(days=days)
    rows = session.exec(
        select(t.CapacityEvent.at, t.CapacityEvent.kind).where(
            t.CapacityEvent.at >= since, col(t.CapacityEvent.kind).in_(list(TREND_KINDS))
        )
    ).all()
    if not rows:
        return _empty()
    frame = pd.DataFrame(
        [
            (f"{at.isocalendar().year}-W{at.isocalendar().week:02d}", TREND_KINDS[k])
            for at, k in rows
        ],
        columns=["week", "event"],
    )
    counts = frame.groupby(["week", "event"]).size().unstack(fill_value=0).astype("int64")
    counts.index.name = counts.columns.name = None
    return table_of(suppress(counts))


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A place on the funders' map: a program or a neighbourhood's centre."""

    name: str
    lat: float
    lon: float


def map_points(session: Session) -> tuple[list[MapPoint], list[MapPoint]]:
    """The located programs, and each neighbourhood's centre (the mean position of
    its programs): where to draw unmet need and capacity. No participant is placed."""
    rows = session.exec(
        select(t.Program).where(col(t.Program.lat).is_not(None)).order_by(col(t.Program.id))
    ).all()
    programs = [MapPoint(r.name or r.id, r.lat or 0.0, r.lon or 0.0) for r in rows]
    frame = pd.DataFrame(
        [(r.neighborhood, r.lat, r.lon) for r in rows if r.neighborhood],
        columns=["neighborhood", "lat", "lon"],
    )
    centres = frame.groupby("neighborhood")[["lat", "lon"]].mean()
    hoods = [MapPoint(str(h), float(r.lat), float(r.lon)) for h, r in centres.iterrows()]
    return programs, hoods


BANDS = ((7, "under 7 days"), (30, "7-29 days"), (90, "30-89 days"), (None, "90 days or more"))
"""How funders see waiting times: counts per band, never single waits."""


@dataclass(frozen=True, slots=True)
class WaitingSummary:
    """Funders' view of the queue: needs waiting per category and band of days waited
    (suppressed), and how many offers are open (``None`` when 1-10)."""

    table: CountTable
    waiting: int | None
    offered: int | None


def funder_summary(session: Session, now: datetime) -> WaitingSummary:
    """How long needs have waited, per category, as counts that go through small-cell
    suppression like every count funders see; no participant or need is named."""
    people = list(session.exec(select(t.Participant.id).where(col(t.Participant.active))).all())
    rows = waiting_needs(session, people, now)
    offered = sum(1 for w in rows if w.offer_id is not None)
    if not rows:
        return WaitingSummary(CountTable([], [], [], 0), 0, offered)
    frame = pd.DataFrame(
        [(category_of(w.service_types[0]), _band(w.days_waiting)) for w in rows],
        columns=["category", "waited"],
    )
    counts = frame.groupby(["category", "waited"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=[b for _, b in BANDS if b in counts.columns])
    counts.index.name = counts.columns.name = None
    return WaitingSummary(
        table_of(suppress(counts.astype("int64"))), _small(len(rows)), _small(offered)
    )


def _band(days: float) -> str:
    for upper, label in BANDS:
        if upper is None or days < upper:
            return label
    raise AssertionError("the last band has no upper bound")
