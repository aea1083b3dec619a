"""Referrers (police officers, prosecutors): submit an intake, see that it was received."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.auth import Me, referrer
from api.deps import Ctx
from api.idempotency import IdempotencyKey, create_once
from api.problems import RESPONSES
from api.schemas import Clean, Note
from matcher.service import intake

router = APIRouter(
    responses=RESPONSES, prefix="/referrers", tags=["referrers"], dependencies=[Depends(referrer)]
)


class IntakeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: Annotated[
        str,
        Field(
            strict=True,
            min_length=1,
            max_length=100,
            description="the referrer's own reference; the same one again is the same intake",
        ),
        Clean,
    ]
    note: Annotated[Note, Field(description="what the LEAD team should know; stored encrypted")] = (
        ""
    )


class ReceiptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    intake_id: str
    reference: str
    status: str
    received_at: datetime
    new: bool = Field(
        default=True,
        description="whether this request made the intake (false: it was already received)",
    )


@router.post(
    "/intakes",
    response_model=ReceiptOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "an intake with this reference was already received: its receipt"}
    },
)
def submit(
    body: IntakeIn,
    ctx: Ctx,
    me: Me,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReceiptOut:
    """Refer someone into LEAD (201). The same reference again is the same intake: the
    answer is its receipt (200) and nothing new is recorded."""

    def act(s: Session) -> ReceiptOut:
        made = intake.submit(s, me.account_id, body.reference, body.note, ctx.now)
        return ReceiptOut.model_validate(made)

    scope = f"intakes:{me.account_id}"
    out = create_once(ctx, response, idempotency_key, scope, body, ReceiptOut, act)
    if not out.new:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("/intakes/{intake_id}", response_model=ReceiptOut)
def receipt(intake_id: str, ctx: Ctx, me: Me) -> ReceiptOut:
    """Whether the intake was received (and nothing more)."""
    return ReceiptOut.model_validate(
        ctx.read(lambda s: intake.receipt(s, me.account_id, intake_id))
    )
