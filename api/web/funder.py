"""The funder's page: which services are lacking and where, rolled up until counts can
be shown; a map; the fund; and the purchase plan for a budget, with why it leaves money
unspent. Counts only, with the same suppression as the API. Every table downloads as
CSV (``/web/funder/tables/{name}.csv``, the same query)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from sqlmodel import Session

from api.web.downloads import csv_download
from api.web.funder_map import draw
from api.web.render import Token, WebPage, service_type_labels
from matcher.funding import rollup
from matcher.money import dollars
from matcher.scenario import MAX_AMOUNT
from matcher.service import fund, funder_tables, funding, programs
from matcher.service.errors import ServiceError
from matcher.service.funder_tables import ReadableTable
from matcher.service.funding import CountTable, MapPoint, PlanView

router = APIRouter(include_in_schema=False)
PAGE = "/web/funder"
Budget = Annotated[float | None, Query(ge=0, le=1e12)]
TableName = Literal["by-service", "by-area", "unreported", "plan", "plan-places", "plan-met"]
HIDDEN = "fewer than 11"
"""How a suppressed count reads: 1 to 10, or a count that would reveal one."""

KIND = rollup.STEP_WORDS


def labels() -> dict[str, str]:
    """What a person reads for a table's row or column code."""
    names = service_type_labels()
    out = dict(names)
    for code in names:
        category = code.split(".")[0]
        out[category] = category.replace("_", " ").capitalize()
        out[f"{category}.*"] = f"Any {category.replace('_', ' ')}"
    out["total"] = "Total"
    out["whole city"] = "Whole city"
    out["all services"] = "All services"
    return out


def roll_up_note(t: ReadableTable) -> str:
    """What the table was rolled up to, and why; empty when it was not."""
    return rollup.roll_up_note(t.rows, t.columns, t.finest_hidden, t.finest_cells)


def _areas(
    by_area: ReadableTable | None, hoods: list[MapPoint], districts: dict[str, str]
) -> list[tuple[MapPoint, int, bool]]:
    """Each area of the where-table with its visible count and whether it is hidden."""
    if by_area is None:
        return []
    centres = (
        hoods if by_area.rows == "neighborhood" else funder_tables.area_centres(hoods, districts)
    )
    where = {p.name: p for p in centres}
    table = by_area.table
    return [
        (where[name], row[0] or 0, row[0] is None)
        for name, row in zip(table.rows, table.cells, strict=True)
        if name in where
    ]


def _read(web: WebPage, budget: float | None) -> dict[str, Any]:
    web.require("funder")
    settings = web.ctx.settings
    web.limit_solver()
    now, limit = web.ctx.now, settings.solver_time_limit
    districts = funder_tables.districts_of(settings.neighborhoods_file)

    def read(s: Session) -> dict[str, Any]:
        view = funder_tables.unmet_readable(s, now, time_limit=limit, districts=districts)
        points, hoods = funding.map_points(s)
        bought = (
            funding.plan(s, now, budget=budget, time_limit=limit, districts=districts)
            if budget is not None
            else None
        )
        if bought is not None:
            bought = replace(bought, met=funder_tables.one_column(bought.met))
        return {
            "view": view,
            "fund": funding.fund(s, now),
            "top_ups": fund.top_ups(s, limit=10),
            "map": draw(points, _areas(view.by_area, hoods, districts), settings.map_tile_url),
            "plan": bought,
            "names": programs.names(
                s, (str(b["program_id"]) for b in bought.purchases) if bought else ()
            ),
        }

    return web.read(read)


@router.get(PAGE, response_class=HTMLResponse)
def page(web: WebPage, budget: Budget = None) -> HTMLResponse:
    """Unmet need now; with ``budget``, where that money should buy places."""
    read = _read(web, budget)
    query = "" if budget is None else f"?budget={budget:g}"
    return web.page(
        "funder.html",
        budget=budget,
        labels=labels(),
        note=roll_up_note,
        kind=KIND,
        hidden=HIDDEN,
        query=query,
        attribution=web.ctx.settings.map_tile_attribution,
        **read,
    )


@router.post(PAGE + "/top-ups")
def top_up(
    web: WebPage,
    amount: Annotated[float, Form(ge=0.01, le=MAX_AMOUNT, allow_inf_nan=False)],
    note: Annotated[str, Form(max_length=fund.MAX_NOTE)] = "",
    csrf_token: Token = "",
) -> RedirectResponse:
    """Add money to the fund; the outcome comes back in words on the page."""
    web.require("funder")
    web.check(csrf_token)
    back = PAGE + "#fund-h"
    try:
        made = web.ctx.run(lambda s: fund.top_up(s, amount, note, web.me.username, web.ctx.now))
    except ServiceError as error:
        return web.back(back, f"Not added: {error.message}.", "error")
    return web.back(
        back,
        f"{dollars(made.amount)} added to the fund. Places it can buy are offered to the "
        "needs waiting.",
    )


@router.get(PAGE + "/tables/{name}.csv")
def table_csv(web: WebPage, name: TableName, budget: Budget = None) -> StreamingResponse:
    """One of the page's tables as CSV: the same counts, hidden ones as "fewer than 11"."""
    read = _read(web, budget if name.startswith("plan") else None)
    names = labels()
    rows: Sequence[Sequence[object]]
    if name.startswith("plan"):
        rows = _plan_rows(name, read["plan"], read["names"], names)
    else:
        chosen = {
            "by-service": read["view"].by_service,
            "by-area": read["view"].by_area,
            "unreported": read["view"].unreported,
        }[name]
        rows = list(_count_rows(chosen, names)) if chosen is not None else [["nothing to show"]]
    return csv_download(f"funder-{name}.csv", rows)


def _count_rows(t: ReadableTable, names: dict[str, str]) -> Iterator[list[object]]:
    yield [KIND[t.rows], *(names.get(c, c) for c in t.table.columns)]
    yield from _cells(t.table, names)


def _cells(table: CountTable, names: dict[str, str]) -> Iterator[list[object]]:
    for row, cells in zip(table.rows, table.cells, strict=True):
        yield [names.get(row, row), *(HIDDEN if c is None else c for c in cells)]


def _plan_rows(
    name: str, plan: PlanView | None, program_names: dict[str, str], names: dict[str, str]
) -> list[list[object]]:
    if plan is None:
        return [["give a budget: ?budget=20000"]]
    if name == "plan-places":
        return [
            ["program", "places", "price each", "spend"],
            *(
                [
                    program_names.get(str(b["program_id"]), b["program_id"]),
                    b["places"],
                    b["price"],
                    b["spend"],
                ]
                for b in plan.purchases
            ),
        ]
    if name == "plan-met":
        return [
            ["service category", *(names.get(c, c) for c in plan.met.columns)],
            *_cells(plan.met, names),
        ]
    out: list[list[object]] = [["plan", "spend", "needs met", "acute needs met", "per $1,000"]]
    for s in (plan.exact, plan.naive):
        out.append(
            [
                "exact plan" if s.method == "exact" else "largest gap first",
                s.spend,
                HIDDEN if s.needs_met is None else s.needs_met,
                HIDDEN if s.acute_met is None else s.acute_met,
                "not shown" if s.per_thousand is None else s.per_thousand,
            ]
        )
    return out
