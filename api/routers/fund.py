"""The fund's money: funders and admins add to it (top-ups) and list what was added."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlmodel import Session

from api.auth import Me, fund_keeper
from api.deps import Ctx
from api.idempotency import IdempotencyKey, create_once
from api.problems import RESPONSES
from api.schemas import TopUpIn, TopUpOut
from matcher.service import fund

router = APIRouter(
    responses=RESPONSES,
    prefix="/funders/fund",
    tags=["funders"],
    dependencies=[Depends(fund_keeper)],
)


@router.post("/top-ups", response_model=TopUpOut, status_code=status.HTTP_201_CREATED)
def top_up(
    body: TopUpIn,
    ctx: Ctx,
    me: Me,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TopUpOut:
    """Add money to the fund (201): the balance rises at once and LEAD's queue is
    re-solved, so places the money can buy are offered. Send an ``Idempotency-Key`` so a
    retry does not add the money twice."""

    def act(s: Session) -> TopUpOut:
        made = fund.top_up(s, body.amount, body.note, me.username, ctx.now)
        return TopUpOut.model_validate(made)

    return create_once(ctx, response, idempotency_key, "fund-top-ups", body, TopUpOut, act)


@router.get("/top-ups", response_model=list[TopUpOut])
def top_ups(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[TopUpOut]:
    """The fund's top-ups, newest first."""
    return [TopUpOut.model_validate(u) for u in ctx.read(lambda s: fund.top_ups(s, limit))]
