"""The audit log, for admins and auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from api.auth import auditor
from api.deps import Ctx
from api.problems import RESPONSES
from api.schemas import Moment
from matcher.service import audit

router = APIRouter(
    responses=RESPONSES, prefix="/audit", tags=["auditors"], dependencies=[Depends(auditor)]
)


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str | None
    outcome: str
    status: int
    username: str | None
    route: str | None
    participant_id: str | None
    program_id: str | None
    referral_id: str | None


@router.get("", response_model=list[AuditOut])
def entries(
    ctx: Ctx,
    since: Moment | None = None,
    until: Moment | None = None,
    actor: Annotated[
        str | None, Query(max_length=200, description="an account id or username")
    ] = None,
    username: Annotated[str | None, Query(max_length=200, description="an account's name")] = None,
    action: Annotated[
        str | None, Query(max_length=200, description="an action, or a family (referral)")
    ] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AuditOut]:
    """Records, newest first (``offset`` skips some, for pages): who did what
    (``referral.confirm``) to which objects, and how it ended, from ``since`` up to
    ``until``. ``object_id`` also finds records naming it as their participant,
    program or referral."""
    rows = ctx.read(
        lambda s: audit.query(
            s,
            since=since,
            until=until,
            actor=actor,
            username=username,
            action=action,
            object_id=object_id,
            limit=limit,
            offset=offset,
        )
    )
    return [AuditOut.model_validate(r) for r in rows]
