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


@router.get("", response_model=list[AuditOut])
def entries(
    ctx: Ctx,
    since: Moment | None = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[AuditOut]:
    """Records, newest first: who did what to which object, and how it ended."""
    rows = ctx.read(
        lambda s: audit.query(s, since=since, actor=actor, object_id=object_id, limit=limit)
    )
    return [AuditOut.model_validate(r) for r in rows]
