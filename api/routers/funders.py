"""Funders: unmet need and the fund, counts only, small cells suppressed."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.auth import expensive, funder
from api.deps import Ctx
from api.problems import RESPONSES
from api.schemas import (
    ChangeIn,
    CountTableOut,
    FundOut,
    ImpactOut,
    PlanOut,
    UnmetReadableOut,
    WaitingSummaryOut,
)
from matcher.funding.impact import Change
from matcher.service import funder_tables, funding

router = APIRouter(
    responses=RESPONSES, prefix="/funders", tags=["funders"], dependencies=[Depends(funder)]
)

Dimension = Literal["category", "neighborhood", "reason", "action", "rule"]


@router.get("/unmet-need", response_model=CountTableOut, dependencies=[Depends(expensive)])
def unmet_need(
    ctx: Ctx, rows: Dimension = "category", columns: Dimension = "reason"
) -> CountTableOut:
    """Unmet needs now, ``rows`` x ``columns``; counts 1-10 and their complements are null.
    ``action`` says what would help: needs whose programs never reported their free places
    (reason ``capacity_unknown``) are "ask the providers to report", apart from "buy places"."""
    table = ctx.read(
        lambda s: funding.unmet_need(
            s, ctx.now, rows=rows, columns=columns, time_limit=ctx.settings.solver_time_limit
        )
    )
    return CountTableOut.model_validate(table)


@router.get(
    "/unmet-need/readable", response_model=UnmetReadableOut, dependencies=[Depends(expensive)]
)
def unmet_need_readable(ctx: Ctx) -> UnmetReadableOut:
    """Unmet needs now as the funder's page shows them: by service and by area, each rolled
    up (service types to categories, neighbourhoods to districts to the whole city) until
    at most a quarter of the cells that count something are hidden, with what it rolled up
    to; the needs waiting on providers' reports apart. Counts 1-10 and their complements
    are null."""
    districts = funder_tables.districts_of(ctx.settings.neighborhoods_file)
    view = ctx.read(
        lambda s: funder_tables.unmet_readable(
            s, ctx.now, time_limit=ctx.settings.solver_time_limit, districts=districts
        )
    )
    return UnmetReadableOut.model_validate(view)


@router.get("/fund", response_model=FundOut)
def fund(ctx: Ctx) -> FundOut:
    """The fund's balance, what live holds reserve, spend, and places bought per category."""
    return FundOut.model_validate(ctx.read(lambda s: funding.fund(s, ctx.now)))


@router.get("/plan", response_model=PlanOut, dependencies=[Depends(expensive)])
def plan(ctx: Ctx, budget: Annotated[float, Query(ge=0, le=1e12)]) -> PlanOut:
    """Where ``budget`` of new money should buy places: the exact plan beside buying where
    the gap count is largest, and where the exact plan's places would meet needs."""
    view = ctx.read(
        lambda s: funding.plan(s, ctx.now, budget=budget, time_limit=ctx.settings.solver_time_limit)
    )
    return PlanOut.model_validate(view)


@router.post("/impact", response_model=ImpactOut, dependencies=[Depends(expensive)])
def impact(body: ChangeIn, ctx: Ctx) -> ImpactOut:
    """How many more needs would be met if one program changed (counts suppressed)."""
    change = Change(**body.model_dump())
    view = ctx.read(
        lambda s: funding.change_impact(s, ctx.now, change, ctx.settings.solver_time_limit)
    )
    return ImpactOut.model_validate(view)


@router.get("/trends", response_model=CountTableOut)
def trends(ctx: Ctx, days: Annotated[int, Query(ge=1, le=731)] = 90) -> CountTableOut:
    """Capacity events per ISO week from the ledger (holds, enrolments, expiries, ended
    placements, places bought ahead), small counts suppressed."""
    return CountTableOut.model_validate(ctx.read(lambda s: funding.trends(s, ctx.now, days=days)))


@router.get("/waiting", response_model=WaitingSummaryOut)
def waiting(ctx: Ctx) -> WaitingSummaryOut:
    """How long needs have waited in LEAD's queue, per category and band of days (counts
    1-10 and their complements are null), and how many have an offer open."""
    return WaitingSummaryOut.model_validate(ctx.read(lambda s: funding.funder_summary(s, ctx.now)))
