"""Funders: unmet need and the fund, counts only, small cells suppressed."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from api.deps import Ctx
from api.schemas import CountTableOut, FundOut
from matcher.service import funding

router = APIRouter(prefix="/funders", tags=["funders"])

Dimension = Literal["category", "neighborhood", "reason"]


@router.get("/unmet-need", response_model=CountTableOut)
def unmet_need(
    ctx: Ctx, rows: Dimension = "category", columns: Dimension = "reason"
) -> CountTableOut:
    """Unmet needs now, ``rows`` x ``columns``; counts 1-10 and their complements are null."""
    table = ctx.read(
        lambda s: funding.unmet_need(
            s, ctx.now, rows=rows, columns=columns, time_limit=ctx.settings.solver_time_limit
        )
    )
    return CountTableOut.model_validate(table)


@router.get("/fund", response_model=FundOut)
def fund(ctx: Ctx) -> FundOut:
    """The fund's balance, what live holds reserve, spend, and places bought per category."""
    return FundOut.model_validate(ctx.read(lambda s: funding.fund(s, ctx.now)))
