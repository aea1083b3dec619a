"""Admins: providers' webhook endpoints and the log of their deliveries.

An endpoint's secret is in the answer that made it and nowhere else; the log says
who, which kind, when, which channel, the attempt and the HTTP status, never what
was sent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Me, administrator
from api.deps import Ctx, Paged
from api.problems import RESPONSES
from matcher.service import webhooks

router = APIRouter(
    responses=RESPONSES,
    prefix="/admin",
    tags=["admins"],
    dependencies=[Depends(administrator)],
)


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="The provider account whose notifications go to the endpoint"
    )
    url: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        description="https:// address that receives the signed POSTs"
    )


class EndpointOut(BaseModel):
    endpoint_id: str
    username: str
    url: str
    created_at: datetime
    removed_at: datetime | None


class NewEndpointOut(EndpointOut):
    secret: str = Field(
        description="The signing secret (Standard Webhooks, whsec_...): shown this once"
    )


class AttemptOut(BaseModel):
    at: datetime
    username: str
    kind: str
    channel: str
    endpoint_id: str
    delivery_id: int
    attempt: int
    status_code: int | None = Field(description="The endpoint's HTTP status; null: no answer")
    outcome: Literal["delivered", "retrying", "gave_up", "repeated"]
    delivery_status: Literal["pending", "delivered", "failed", "skipped"]


def _out(e: webhooks.EndpointView) -> EndpointOut:
    return EndpointOut(
        endpoint_id=e.endpoint_id,
        username=e.username,
        url=e.url,
        created_at=e.created_at,
        removed_at=e.removed_at,
    )


@router.post("/webhooks", response_model=NewEndpointOut, status_code=status.HTTP_201_CREATED)
def add_endpoint(body: EndpointIn, ctx: Ctx, me: Me) -> NewEndpointOut:
    """Register an endpoint for a provider account; the answer carries its signing
    secret, which cannot be shown again. Plain ``http://`` is refused in production
    (422 ``https_required``)."""
    made = ctx.run(
        lambda s: webhooks.add(
            s,
            username=body.username,
            url=body.url,
            by=me.username,
            now=ctx.now,
            allow_http=ctx.settings.environment != "production",
        )
    )
    return NewEndpointOut(**_out(made.endpoint).model_dump(), secret=made.secret)


@router.get("/webhooks", response_model=list[EndpointOut])
def list_endpoints(ctx: Ctx, page: Paged) -> list[EndpointOut]:
    """Every endpoint, removed ones too (never a secret)."""
    return [_out(e) for e in page.of(ctx.read(webhooks.listing))]


@router.delete("/webhooks/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_endpoint(endpoint_id: Annotated[str, Path(max_length=32)], ctx: Ctx) -> Response:
    """Stop sending to an endpoint; it stays listed with its log."""
    ctx.run(lambda s: webhooks.remove(s, endpoint_id, ctx.now))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhook-deliveries", response_model=list[AttemptOut])
def delivery_log(
    ctx: Ctx,
    page: Paged,
    delivery_status: Annotated[
        Literal["pending", "delivered", "failed", "skipped"] | None,
        Query(alias="status", description="Only attempts of deliveries in this state"),
    ] = None,
) -> list[AttemptOut]:
    """The delivery log, newest first: who, which kind, when, which channel, the
    attempt and the HTTP status; never the contents."""
    rows = ctx.read(
        lambda s: webhooks.log(s, status=delivery_status, limit=page.limit, offset=page.offset)
    )
    return [AttemptOut.model_validate(r, from_attributes=True) for r in rows]
