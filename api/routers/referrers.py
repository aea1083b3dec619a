"""Referrers (police officers, prosecutors): submit an intake, see that it was received."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Me, referrer
from api.deps import Ctx
from api.problems import RESPONSES
from matcher.service import intake

router = APIRouter(
    responses=RESPONSES, prefix="/referrers", tags=["referrers"], dependencies=[Depends(referrer)]
)


class IntakeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: Annotated[
        str, Field(min_length=1, max_length=100, description="the referrer's own reference")
    ]
    note: Annotated[
        str, Field(max_length=2000, description="what the LEAD team should know; stored encrypted")
    ] = ""


class ReceiptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    intake_id: str
    reference: str
    status: str
    received_at: datetime


@router.post("/intakes", response_model=ReceiptOut, status_code=status.HTTP_201_CREATED)
def submit(body: IntakeIn, ctx: Ctx, me: Me) -> ReceiptOut:
    """Refer someone into LEAD."""
    made = ctx.run(lambda s: intake.submit(s, me.account_id, body.reference, body.note, ctx.now))
    return ReceiptOut.model_validate(made)


@router.get("/intakes/{intake_id}", response_model=ReceiptOut)
def receipt(intake_id: str, ctx: Ctx, me: Me) -> ReceiptOut:
    """Whether the intake was received (and nothing more)."""
    return ReceiptOut.model_validate(
        ctx.read(lambda s: intake.receipt(s, me.account_id, intake_id))
    )
